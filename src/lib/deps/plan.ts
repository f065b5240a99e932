import {readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import semver from 'semver'

import {ResolutionError, ValidationError} from '../errors.js'
import type {OciStores} from '../oci/stores.js'
import {formatReference} from '../oci/reference.js'
import {IMPLICIT_REPOSITORY} from '../repository/repository.js'
import {packageRoot} from '../util/package-root.js'
import type {InvalidManifest} from './candidate.js'
import {type Declaration, rootRequirements} from './declaration.js'
import {installOrder} from './install-order.js'
import {localArtifact} from './local-artifact.js'
import {readLocalCatalog} from './local-catalog.js'
import {type LockedEntry, lockContractProblems} from './lock-contract.js'
import {type LockChange, lockChanges} from './lock-changes.js'
import {resolveKeepingLock} from './lock-preference.js'
import {checkFollowedLock} from './lock-verify.js'
import {localReference, type LockedOrigin} from './locked-reference.js'
import {inputsDigest, LOCKFILE_VERSION, type LockedExtension, type Lockfile, MAX_DECLARED_RANGE_CHARS} from './lockfile.js'
import {fetchRegistryCatalog, type RegistryCatalogOptions} from './registry-catalog.js'
import {assertRepublishedAccepted, findRepublished, type Republished} from './republished.js'
import type {CandidateVersion, Catalog, Requirer} from './types.js'

export type ExtensionOrigin = LockedOrigin

export interface PlannedExtension extends LockedExtension {
  origin: ExtensionOrigin
}

export interface ResolutionPlan {
  /** In install order. */
  extensions: PlannedExtension[]
  lock: Lockfile
  /** True when the lock was followed (inputs unchanged): no registry was asked. */
  followedLock: boolean
  /** A lock that was not followed although its inputs were unchanged, and why. */
  warnings: string[]
  requiredBy?: Map<string, Requirer[]>
  /** What a fresh resolution chose from (absent when the lock was followed). */
  catalog?: Catalog
  /** Per extension, what changed against the lock the run started from, and why. */
  changes: LockChange[]
  /** Locked versions the registry now holds other content under (absent when the lock was followed). */
  republished?: Republished[]
}

export interface PlanOptions {
  declaration: Declaration
  lock?: Lockfile
  frozen?: boolean
  offline?: boolean
  /**
   * Local sources only: skip packaging each chosen folder to learn its digest (`dep validate`
   * writes no lock, and packaging 30 folders cost more than resolving 10,000 versions).
   */
  skipLocalDigests?: boolean
  /** Re-resolve allowing newer versions: every name (`true`) or just these. */
  update?: true | string[]
  concurrency: number
  lockfilePath: string
  /**
   * Locked names whose republished content may be taken (`dep update NAME --accept-republished`);
   * `report`: none is refused, the plan lists them (`dep check-updates`). Others stop the run (exit 8).
   */
  acceptRepublished?: readonly string[] | 'report'
}

/** The CLI's own version: the core version when the workspace declares none. */
export function cliVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {version: string}).version
}

/** What the lockfile's inputs digest covers: everything resolution depends on but the registry. */
function inputsOf(declaration: Declaration, coreVersion: string): unknown {
  return {
    source: declaration.source,
    core: coreVersion,
    modules: declaration.modules
      .map((m) => ({
        name: m.name,
        type: m.type,
        range: m.range,
        reference: m.reference ? formatReference(m.reference) : null,
        // Only when set: the digest of a declaration without repositories is what it always was.
        ...(m.repository ? {repository: m.repository} : {}),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    ...(declaration.sources ? {repositories: repositoryInputs(declaration)} : {}),
  }
}

/** The list as declared and where each named repository is and how it ranks: moving one changes what resolution sees. */
function repositoryInputs(declaration: Declaration): unknown {
  const named = [...(declaration.sources?.named.values() ?? [])]
  return {
    list: declaration.repositories ?? null,
    named: named.map((r) => ({name: r.name, url: r.url, priority: r.priority})).sort((a, b) => (a.name < b.name ? -1 : 1)),
  }
}

function fromLock(lock: Lockfile, entries: LockedEntry[], warnings: string[]): ResolutionPlan {
  const hard = new Map(lock.extensions.map((e) => [e.name, Object.keys(e.dependencies)]))
  const optional = new Map(lock.extensions.map((e) => [e.name, Object.keys(e.optional)]))
  const order = installOrder(
    lock.extensions.map((e) => e.name),
    hard,
    optional,
  )
  const byName = new Map(entries.map((e) => [e.entry.name, e]))
  const extensions = order.map((name) => {
    const {entry, origin} = byName.get(name) as LockedEntry
    return {...entry, origin}
  })
  return {extensions, lock, followedLock: true, warnings, changes: lockChanges(lock, lock.extensions)}
}

/**
 * Decides what the workspace gets: the lock when it matches the declaration (no registry
 * request at all), else a fresh resolution that prefers the locked versions.
 */
/** The inputs digest a lock resolved from this declaration records. */
export const declarationDigest = (declaration: Declaration): string => inputsDigest(inputsOf(declaration, declaration.core?.version ?? cliVersion()))

export async function planResolution(oci: OciStores | undefined, options: PlanOptions): Promise<ResolutionPlan> {
  const {declaration, lock} = options
  const coreVersion = declaration.core?.version ?? cliVersion()
  const digest = declarationDigest(declaration)
  const current = lock && lock.inputs_digest === digest && lock.core_version === coreVersion
  const warnings: string[] = []
  // Following an unchanged lock installs by digest and asks no registry for tags, so it does not
  // notice a republished version: that path must stay fast, and the content it installs is
  // still the locked content. Republishing is caught whenever the registry is consulted
  // (a changed declaration, dep update, dep check-updates); never with --offline.
  if (current && !options.update) {
    const check = await checkFollowedLock(oci, lock, declaration, {offline: Boolean(options.offline), concurrency: options.concurrency})
    if (check.problems.length === 0) return fromLock(lock, check.entries, warnings)
    const list =
      check.problems
        .slice(0, 20)
        .map((p) => `  - ${p}`)
        .join('\n') + (check.problems.length > 20 ? `\n  … and ${check.problems.length - 20} more` : '')
    if (options.frozen) {
      throw new ValidationError(`${options.lockfilePath} does not agree with the declaration or the content it pins:\n${list}`, {
        hint: 'someone edited the lockfile or the content changed: run "provisioning dep resolve" (without --frozen) to re-resolve, review the lockfile change, and commit it',
        details: {lockfile: options.lockfilePath, problems: check.problems},
      })
    }
    warnings.push(
      `${options.lockfilePath} does not agree with the declaration or the content it pins, so it was not followed: re-resolved and rewrote it\n${list}`,
    )
  } else if (options.frozen) {
    // Where the lock's extensions came from and where the declaration now looks, when repositories moved.
    const moved = lock ? lockContractProblems(lock, declaration, oci?.settings.cwd ?? process.cwd()).moved : []
    throw new ValidationError(
      lock
        ? `${options.lockfilePath} is out of date: the dependency declaration changed since it was written${moved.map((m) => `\n  - ${m}`).join('')}`
        : `${options.lockfilePath} does not exist`,
      {
        hint: 'run "provisioning dep resolve" (without --frozen) and commit the lockfile',
        details: {lockfile: options.lockfilePath, stale: Boolean(lock), ...(moved.length > 0 ? {repositories: moved} : {})},
      },
    )
  }

  const roots = await rootRequirements(declaration)
  const {catalog, originOf} = await loadCatalog(oci, declaration, {...options, onWarning: (message) => warnings.push(message)})
  const republished = findRepublished(lock, catalog, originOf)
  if (options.acceptRepublished !== 'report') assertRepublishedAccepted(republished, options.acceptRepublished ?? [])
  let solved
  try {
    solved = resolveKeepingLock({catalog, roots, coreVersion, lock, update: options.update})
  } catch (error) {
    throw withCycleStory(error, catalog, declaration)
  }
  const {resolution, redecided} = solved
  const [misplaced] = misplacedModules(declaration, resolution.selected)
  if (misplaced) throw misplaced

  const extensions: PlannedExtension[] = []
  for (const name of resolution.order) {
    const c = resolution.selected.get(name)
    if (!c) continue
    const {origin, digest, reference} = originOf(name, c.version)
    // The implicit repository is not written: a lock from before repositories does not churn.
    const repository = c.repository !== undefined && c.repository !== IMPLICIT_REPOSITORY ? c.repository : undefined
    const present = (deps: Record<string, string>) =>
      Object.fromEntries(
        Object.keys(deps)
          .filter((d) => resolution.selected.has(d))
          .map((d) => [d, resolution.selected.get(d)?.version as string]),
      )
    extensions.push({
      name,
      type: c.type ?? 'taskserv',
      version: c.version,
      ...(repository ? {repository} : {}),
      reference,
      digest:
        digest ??
        (options.skipLocalDigests ? '' : (await localArtifact((origin as {dir: string}).dir, oci ? path.join(oci.cache.dir, 'tmp') : os.tmpdir())).digest),
      dependencies: present(c.dependencies),
      optional: present(c.optional),
      origin,
    })
  }
  const newLock: Lockfile = {
    lockfile_version: LOCKFILE_VERSION,
    inputs_digest: digest,
    core_version: coreVersion,
    declared: Object.fromEntries(declaration.modules.filter((m) => m.range.length <= MAX_DECLARED_RANGE_CHARS).map((m) => [m.name, m.range])),
    extensions: extensions.map(({origin: _origin, ...locked}) => locked),
  }
  const changes = lockChanges(lock, newLock.extensions, {catalog, requiredBy: resolution.requiredBy, redecided})
  warnings.push(...lessPreferredLocks(declaration, changes))
  return {extensions, lock: newLock, followedLock: false, warnings, requiredBy: resolution.requiredBy, catalog, changes, republished}
}

/**
 * Locked names the lock took from a less-preferred repository than the per-name rule picks now
 * (no pin involved), typically a lock edited to hand a name to another repository: following
 * an unchanged lock asks no registry and cannot see it, so a fresh resolution says so.
 */
function lessPreferredLocks(declaration: Declaration, changes: LockChange[]): string[] {
  const rank = new Map((declaration.sources?.searched ?? []).map((r, i) => [r.name, i]))
  return changes.flatMap((c) => {
    if (!c.repository || declaration.modules.some((m) => m.name === c.name && (m.repository || m.reference))) return []
    const [from, to] = [rank.get(c.repository.from), rank.get(c.repository.to)]
    if (from === undefined || to === undefined || to > from) return []
    return [
      `${c.name}: the lock takes it from repository ${c.repository.from}, but ${c.repository.to} is preferred and holds ${c.name}: re-resolved from ${c.repository.to} (a name comes from the most preferred repository holding it; pin it to use another)`,
    ]
  })
}

/** A declared module whose chosen version is of another type than the group it is declared under. */
export function misplacedModules(declaration: Declaration, selected: ReadonlyMap<string, CandidateVersion>): ResolutionError[] {
  return declaration.modules.flatMap((module) => {
    const chosen = selected.get(module.name)
    if (!chosen?.type || chosen.type === module.type) return []
    return [
      new ResolutionError(`${module.declaredAt}: ${module.name} is a ${chosen.type}, but it is declared under ${module.type}s`, {
        hint: `move it to dependencies.extensions.modules.${chosen.type}s`,
        details: {name: module.name, declared: module.type, actual: chosen.type},
      }),
    ]
  })
}

export type OriginOf = (name: string, version: string) => {origin: ExtensionOrigin; digest?: string; reference: string}

/**
 * Everything resolution may choose from for the declaration's source (a local folder, or
 * the registry's tags and config blobs reachable from the declared modules), and where each
 * version's content comes from.
 */
export async function loadCatalog(
  oci: OciStores | undefined,
  declaration: Declaration,
  options: {
    offline?: boolean
    concurrency: number
    onInvalidManifests?: (invalid: InvalidManifest[]) => void
    onInvalidMetadata?: RegistryCatalogOptions['onInvalidMetadata']
    /** A less-preferred repository that failed for a name and was dropped (registry-catalog.ts). */
    onWarning?: (message: string) => void
    /** The lock being re-resolved: its versions' tags are resolved afresh (republish detection). */
    lock?: Lockfile
  },
): Promise<{catalog: Catalog; originOf: OriginOf}> {
  const source = declaration.source
  if (source.kind === 'local') {
    const local = await readLocalCatalog(source.path, {onInvalid: options.onInvalidManifests})
    return {
      catalog: local,
      originOf: (name, version) => {
        const dir = local.record(name, version)?.dir as string
        return {origin: {kind: 'local', dir}, reference: localReference(dir)}
      },
    }
  }
  if (!oci) throw new Error('OCI stores (OciStores) are required for an OCI source')
  const fetched = await fetchRegistryCatalog(oci, {
    roots: declaration.modules.map((m) => ({name: m.name, reference: m.reference, repository: m.repository})),
    registry: source.registry,
    namespace: source.namespace,
    sources: declaration.sources,
    concurrency: options.concurrency,
    offline: Boolean(options.offline),
    onInvalidMetadata: options.onInvalidMetadata,
    onWarning: options.onWarning,
    lockedVersions: options.lock && new Map(options.lock.extensions.map((e) => [e.name, e.version])),
  })
  return {
    catalog: fetched,
    originOf: (name, version) => {
      const record = fetched.record(name, version)
      if (!record) throw new Error(`no record for ${name}@${version}`)
      return {
        origin: {kind: 'oci', reference: {...record.reference, digest: record.digest}},
        digest: record.digest,
        reference: formatReference(record.reference),
      }
    },
  }
}

/**
 * A cycle names its path; add what makes each step (which versions require the next name,
 * with which range) and where the workspace enters it, so the fix is obvious.
 */
export function withCycleStory(error: unknown, catalog: Catalog, declaration: Declaration): unknown {
  const cycle = error instanceof ResolutionError ? error.details.cycle : undefined
  if (!Array.isArray(cycle) || cycle.length < 2) return error
  const edges: Array<{from: string; version: string; to: string; range: string}> = []
  for (let i = 0; i + 1 < cycle.length; i++) {
    const [from, to] = [String(cycle[i]), String(cycle[i + 1])]
    const requiring = [...(catalog.versions(from) ?? [])].filter((c) => Object.hasOwn(c.dependencies, to)).sort((a, b) => semver.rcompare(a.version, b.version))
    for (const c of requiring.slice(0, 3)) edges.push({from, version: c.version, to, range: c.dependencies[to]})
  }
  const entries = declaration.modules.filter((m) => cycle.includes(m.name)).map((m) => `workspace -> ${m.name} ${m.range}   (declared at ${m.declaredAt})`)
  const lines = [
    (error as ResolutionError).message,
    '',
    'each step (hard dependencies):',
    ...edges.map((e) => `  ${e.from}@${e.version} requires ${e.to} ${e.range}`),
    ...(entries.length > 0 ? ['', 'the workspace enters it through:', ...entries.map((e) => `  ${e}`)] : []),
  ]
  return new ResolutionError(lines.join('\n'), {hint: (error as ResolutionError).hint, details: {...(error as ResolutionError).details, edges}})
}
