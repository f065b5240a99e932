import {ConfigError, ProvisioningError, ResolutionError, ValidationError} from '../errors.js'
import {type InvalidManifest, invalidMetadata} from './candidate.js'
import {type Declaration, rootRequirements} from './declaration.js'
import {type WorkspaceDependencies, type WorkspaceDependenciesOptions, openWorkspaceDependencies, readLock, withSourceOci} from './workspace-dependencies.js'
import {cliVersion, declarationDigest, loadCatalog, misplacedModules, withCycleStory} from './plan.js'
import {resolve} from './resolver.js'
import type {Catalog, RootRequirement} from './types.js'

export interface DependencyValidation {
  workspace: string
  valid: true
  extensions: number
  lockfile: 'current' | 'stale' | 'missing'
  warnings: string[]
}

/** One thing wrong, with its own explanation (`message` is the full text, as `dep resolve` would say it). */
export interface DependencyProblem {
  kind: 'declaration' | 'manifest' | 'missing' | 'unsatisfiable' | 'conflict' | 'core-version' | 'cycle' | 'wrong-type' | 'search-limit' | 'registry'
  message: string
  hint?: string
  /** The extension the problem is about, when there is one. */
  name?: string
  /** The declared modules it involves. */
  roots?: string[]
}

/**
 * Rounds of resolution after a failure. Each round drops the declared modules the last
 * failure rests on, so it ends after at most one round per module; this bound keeps a
 * workspace with hundreds of broken modules from costing hundreds of resolutions.
 */
const MAX_ROUNDS = 25

/**
 * `dep validate` (SPEC §9.3): resolves without installing and lists every problem: the
 * declaration's, invalid local manifests, and each independent resolution failure (missing
 * extension, unsatisfiable constraint, conflict, core version, cycle, wrong type). After a
 * failure the declared modules its proof rests on are set aside and the rest is resolved
 * again, so problems in independent parts of the graph are all found, each once.
 */
export async function validateDependencies(options: WorkspaceDependenciesOptions & {offline?: boolean}): Promise<DependencyValidation> {
  const problems: DependencyProblem[] = []
  let context: WorkspaceDependencies | undefined
  try {
    context = await openWorkspaceDependencies(options)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    const listed = (error.details.problems as string[] | undefined) ?? [error.message]
    problems.push(...listed.map((p) => ({kind: 'declaration' as const, message: `declaration: ${p}`, hint: error.hint})))
  }
  let extensions = 0
  let lockfile: DependencyValidation['lockfile'] = 'missing'
  /** Less-preferred repositories that failed for a name and were dropped (registry-catalog.ts). */
  const dropped: string[] = []
  if (context) {
    const {declaration} = context
    const invalid: InvalidManifest[] = []
    // Refused registry metadata (exit 8 for dep resolve) is one name's problem here: the rest is still validated.
    const refused: DependencyProblem[] = []
    try {
      const {catalog} = await withSourceOci(context, (oci) =>
        loadCatalog(oci, declaration, {
          offline: options.offline,
          concurrency: context?.settings.concurrency ?? 1,
          onInvalidManifests: (found) => invalid.push(...found),
          onInvalidMetadata: (name, error) => refused.push({kind: 'manifest', message: error.message, hint: error.hint, name}),
          onWarning: (message) => dropped.push(message),
        }),
      )
      problems.push(...invalid.map((m) => manifestProblem(m)), ...refused.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : 1)))
      const invalidNames = new Set([...invalid.flatMap((m) => (m.name ? [m.name] : [])), ...refused.map((p) => p.name as string)])
      const found = resolutionProblems(catalog, declaration, await rootRequirements(declaration), invalidNames)
      problems.push(...found.problems)
      const misplaced = found.selected ? misplacedModules(declaration, found.selected) : []
      problems.push(...misplaced.map((e) => ({kind: 'wrong-type' as const, message: e.message, hint: e.hint, name: String(e.details.name)})))
      extensions = found.selected?.size ?? 0
      const lock = await readLock(context).catch(() => undefined)
      if (lock) lockfile = lock.inputs_digest === declarationDigest(declaration) ? 'current' : 'stale'
    } catch (error) {
      // A registry that cannot be asked (exit 6) leaves nothing to resolve from: one problem.
      if (!(error instanceof ProvisioningError && error.exit === 6)) throw error
      problems.push({kind: 'registry', message: error.message, hint: error.hint})
    }
  }
  if (problems.length > 0) {
    const indent = (text: string) =>
      text
        .split('\n')
        .map((line) => (line === '' ? '' : `     ${line}`))
        .join('\n')
        .trimStart()
    const numbered = problems.map((p, i) => `  ${i + 1}. ${indent(p.message)}${p.hint ? `\n     (${p.hint})` : ''}`)
    throw new ValidationError(`dependency validation failed (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${numbered.join('\n')}`, {
      hint: 'fix each problem above (the declaration in config/provisioning.yaml, a manifest, or a constraint), then run "provisioning dep validate" again',
      details: {problems},
    })
  }
  const warnings = [
    ...dropped,
    ...(lockfile === 'missing'
      ? ['no lockfile yet: run "provisioning dep resolve"']
      : lockfile === 'stale'
        ? ['the lockfile is out of date: run "provisioning dep resolve"']
        : []),
  ]
  return {workspace: (context as WorkspaceDependencies).workspace, valid: true, extensions, lockfile, warnings}
}

function manifestProblem(invalid: InvalidManifest): DependencyProblem {
  const error = invalidMetadata(invalid.where, 'local', invalid.problems) as ProvisioningError
  return {kind: 'manifest', message: error.message, hint: error.hint, ...(invalid.name ? {name: invalid.name} : {})}
}

/**
 * Every independent resolution failure: resolve, and after a failure set aside the declared
 * modules it rests on and resolve the rest again. A failure about an extension whose local
 * manifest is invalid is that manifest's problem, already listed.
 */
function resolutionProblems(
  catalog: Catalog,
  declaration: Declaration,
  roots: RootRequirement[],
  invalidNames: ReadonlySet<string>,
): {problems: DependencyProblem[]; selected?: ReturnType<typeof resolve>['selected']} {
  const problems: DependencyProblem[] = []
  const seen = new Set<string>()
  const coreVersion = declaration.core?.version ?? cliVersion()
  let remaining = roots
  for (let round = 0; round < MAX_ROUNDS && remaining.length > 0; round++) {
    let failure: ProvisioningError
    try {
      const {selected} = resolve({catalog, roots: remaining, coreVersion})
      return {problems: inDeclarationOrder(problems, roots), selected}
    } catch (error) {
      if (!(error instanceof ProvisioningError) || error.exit !== 5) throw error
      failure = withCycleStory(error, catalog, declaration) as ProvisioningError
    }
    const involved = Array.isArray(failure.details.roots) ? (failure.details.roots as string[]) : []
    const name = typeof failure.details.name === 'string' ? failure.details.name : undefined
    const kind = kindOf(failure)
    // The same extension failing the same way through another module is one problem.
    const same = problems.find((p) => p.kind === kind && p.name !== undefined && p.name === name)
    if (same) same.roots = [...new Set([...(same.roots ?? []), ...involved])].sort()
    else if (!(name && invalidNames.has(name)) && !seen.has(failure.message)) {
      seen.add(failure.message)
      problems.push({kind, message: failure.message, hint: failure.hint, ...(name ? {name} : {}), roots: involved})
    }
    // Nothing to set aside (a search cut short rests on everything): the rest cannot be told apart.
    const rest = remaining.filter((r) => !involved.includes(r.name))
    if (rest.length === remaining.length) break
    remaining = rest
  }
  return {problems: inDeclarationOrder(problems, roots)}
}

/** Problems in the order of the first declared module each involves (the order a reader fixes them in). */
function inDeclarationOrder(problems: DependencyProblem[], roots: RootRequirement[]): DependencyProblem[] {
  const position = new Map(roots.map((r, i) => [r.name, i]))
  const first = (p: DependencyProblem) => Math.min(...(p.roots ?? []).map((r) => position.get(r) ?? roots.length), roots.length)
  return problems
    .map((p, i) => ({p, i}))
    .sort((a, b) => first(a.p) - first(b.p) || a.i - b.i)
    .map(({p}) => p)
}

function kindOf(error: ProvisioningError): DependencyProblem['kind'] {
  const details = error.details as {kind?: string; repository?: string; derivation?: {facts?: Array<{kind: string}>}}
  if (details.kind === 'cycle') return 'cycle'
  if (details.kind === 'search-limit') return 'search-limit'
  if (error instanceof ResolutionError && error.message.startsWith('no extension named')) return 'missing'
  const facts = new Set((details.derivation?.facts ?? []).map((f) => f.kind))
  if (facts.has('core')) return 'core-version'
  if (facts.has('conflict')) return 'conflict'
  return 'unsatisfiable'
}
