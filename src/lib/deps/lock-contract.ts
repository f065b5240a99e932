import path from 'node:path'

import semver from 'semver'

import {type ExtensionManifest, relationMap} from '../extension/manifest-schema.js'
import {EXTENSION_TYPES} from '../extension/names.js'
import {formatReference} from '../oci/reference.js'
import {tagVersion} from '../oci/versions.js'
import {IMPLICIT_REPOSITORY} from '../repository/repository.js'
import {type ArtifactLocation, artifactLocator} from './artifact-location.js'
import type {Declaration} from './declaration.js'
import {type LockedOrigin, parseLockedReference} from './locked-reference.js'
import type {LockedExtension, Lockfile} from './lockfile.js'

const GROUPS = new Set<string>(EXTENSION_TYPES.map((type) => `${type}s`))

/** A locked extension with its reference parsed. */
export interface LockedEntry {
  entry: LockedExtension
  origin: LockedOrigin
}

/**
 * The part of the lock contract that needs no content: every reference points where the
 * declaration would look (its source kind, registry, repository, a tag equal to the version;
 * local folders inside the local source), the declared modules are there with their type and
 * range, and nothing else is (every entry is reachable from them). A lock whose inputs digest
 * matches is followed without resolving, so this is what stands between a hand-edited lock and
 * an install of something else. `sites` (module name → `config/provisioning.yaml:12`, see
 * moduleSites) adds the declaring file and line to the messages about declared modules.
 */
export function lockContractProblems(
  lock: Lockfile,
  declaration: Declaration,
  cwd: string,
  sites?: ReadonlyMap<string, string>,
): {entries: LockedEntry[]; problems: string[]; moved: string[]} {
  const problems: string[] = []
  /** The problems about repositories (also in `problems`): a stale lock's --frozen failure names them. */
  const moved: string[] = []
  const entries: LockedEntry[] = []
  const source = declaration.source
  const locate = source.kind === 'oci' ? artifactLocator({source, roots: declaration.modules, sources: declaration.sources}, cwd) : undefined
  for (const entry of lock.extensions) {
    const origin = parseLockedReference(entry.reference, entry.digest)
    const at = `${entry.name}@${entry.version}`
    if (!origin) {
      problems.push(`${at}: reference ${entry.reference} is not a reference this CLI writes`)
      continue
    }
    if (origin.kind === 'local') {
      if (source.kind !== 'local') {
        problems.push(`${at}: reference ${entry.reference} names a local folder, but the workspace's extensions come from an OCI registry`)
        continue
      }
      const parts = path.relative(source.path, origin.dir).split(path.sep)
      if (parts[0] === '..' || path.isAbsolute(parts[0]) || !GROUPS.has(parts[0]) || parts[1] !== entry.name || parts.length > 3) {
        problems.push(`${at}: reference ${entry.reference} is not ${entry.name}'s folder in the local source ${source.path}`)
        continue
      }
    } else {
      if (!locate) {
        problems.push(
          `${at}: reference ${entry.reference} names an OCI artifact, but the workspace's extensions come from the local folder ${source.kind === 'local' ? source.path : ''}`,
        )
        continue
      }
      const place = lockedPlace(entry, locate(entry.name), declaration)
      if (typeof place === 'string') {
        problems.push(`${at}: ${place}`)
        moved.push(`${at}: ${place}`)
        continue
      }
      const expected = formatReference(place)
      const actual = formatReference({...origin.reference, tag: undefined, digest: undefined})
      if (actual !== expected) {
        const holder = place.source ? `repository ${place.source} holds` : 'the declaration looks for'
        problems.push(`${at}: reference ${entry.reference} is not in ${expected}, where ${holder} ${entry.name}`)
        if (place.source) moved.push(problems[problems.length - 1])
        continue
      }
      if (tagVersion(origin.reference.tag ?? '') !== entry.version) {
        problems.push(`${at}: reference ${entry.reference} is tagged for another version than ${entry.version}`)
        continue
      }
    }
    entries.push({entry, origin})
  }

  const byName = new Map(lock.extensions.map((e) => [e.name, e]))
  for (const module of declaration.modules) {
    const locked = byName.get(module.name)
    const site = sites?.get(module.name)
    const declaredAt = site ? `${module.declaredAt}, ${site}` : module.declaredAt
    if (!locked) problems.push(`${module.name} is declared (${declaredAt}) but not locked`)
    else if (locked.type !== module.type) problems.push(`${module.name} is declared as a ${module.type} (${declaredAt}) but locked as a ${locked.type}`)
    else if (!semver.satisfies(locked.version, module.range))
      problems.push(`${module.name}@${locked.version} is locked, but ${module.declaredAt}${site ? ` (${site})` : ''} asks for ${module.range}`)
  }
  const reached = new Set<string>()
  const queue = declaration.modules.map((m) => m.name)
  while (queue.length > 0) {
    const name = queue.pop() as string
    const locked = byName.get(name)
    if (reached.has(name) || !locked) continue
    reached.add(name)
    queue.push(...Object.keys(locked.dependencies), ...Object.keys(locked.optional))
  }
  for (const e of lock.extensions) if (!reached.has(e.name)) problems.push(`${e.name}@${e.version} is locked, but nothing declared requires it`)
  return {entries, problems, moved}
}

/**
 * Of the places the declaration looks for a name, the one the lock says its entry came from
 * (its `repository`, absent for the implicit one), or why the lock may not point there: the
 * repository is no longer declared, or no longer where resolution would look for that name.
 */
function lockedPlace(entry: LockedExtension, places: ArtifactLocation[], declaration: Declaration): ArtifactLocation | string {
  const sources = declaration.sources
  if (!sources) {
    if (entry.repository === undefined) return places[0]
    return `locked from repository ${entry.repository}, but the declaration names no repositories (it resolves from dependencies.extensions.oci)`
  }
  // A root's own reference belongs to no repository.
  if (places.length === 1 && places[0].source === undefined)
    return entry.repository === undefined ? places[0] : `locked from repository ${entry.repository}, but the declaration gives ${entry.name} its own reference`
  const locked = entry.repository ?? IMPLICIT_REPOSITORY
  const place = places.find((p) => p.source === locked)
  if (place) return place
  const pin = declaration.modules.find((m) => m.name === entry.name && m.repository)
  const now = pin
    ? `pins ${entry.name} to repository ${pin.repository} (${pin.declaredAt})`
    : `looks for ${entry.name} in ${places.length === 1 ? 'repository' : 'repositories'} ${places.map((p) => p.source).join(', ')} (dependencies.extensions.repositories)`
  return `locked from repository ${locked}, but the declaration now ${now}`
}

/**
 * The part of the contract that needs the content (a checked manifest: the config blob, or a
 * local folder's manifest.yaml): it is what the lock says it is, its requirements are the
 * locked ones and hold, its conflicts are absent, and the core version is enough for it.
 */
export function lockContentProblems(entry: LockedExtension, manifest: ExtensionManifest, lock: Lockfile): string[] {
  const at = `${entry.name}@${entry.version}`
  const problems: string[] = []
  if (manifest.name !== entry.name) problems.push(`${at}: the locked content is the extension "${manifest.name}"`)
  if (manifest.type !== entry.type) problems.push(`${at}: the locked content is a ${manifest.type}, but the lock says ${entry.type}`)
  if (tagVersion(manifest.version) !== entry.version) problems.push(`${at}: the locked content is version ${manifest.version}`)
  if (problems.length > 0) return problems

  // Own keys only (Object.hasOwn): an extension may be named "constructor".
  const byName = new Map(lock.extensions.map((e) => [e.name, e]))
  const hard = relationMap(manifest.dependencies)
  const optional = relationMap(manifest.optional)
  const recorded = (name: string, locked: Record<string, string>, kind: string, range: string) => {
    const version = locked[name]
    if (byName.get(name)?.version !== version) problems.push(`${at}: its ${kind} dependency ${name}@${version} is not the locked ${name}`)
    else if (!semver.satisfies(version, range)) problems.push(`${at} requires ${name} ${range}, but ${name}@${version} is locked`)
  }
  for (const [name, range] of Object.entries(hard)) {
    if (!Object.hasOwn(entry.dependencies, name)) problems.push(`${at} requires ${name} ${range}, which its lock entry does not list`)
    else recorded(name, entry.dependencies, 'hard', range)
  }
  for (const name of Object.keys(entry.dependencies))
    if (!Object.hasOwn(hard, name)) problems.push(`${at}: the lock lists ${name} as a dependency its content does not declare`)
  for (const [name, range] of Object.entries(optional)) {
    if (Object.hasOwn(hard, name)) continue
    if (Object.hasOwn(entry.optional, name)) recorded(name, entry.optional, 'optional', range)
    else if (byName.has(name)) problems.push(`${at}: optional ${name} is locked but not recorded as present`)
  }
  for (const name of Object.keys(entry.optional))
    if (!Object.hasOwn(optional, name)) problems.push(`${at}: the lock lists ${name} as an optional dependency its content does not declare`)
  for (const [name, range] of Object.entries(relationMap(manifest.conflicts))) {
    const other = byName.get(name)
    if (other && semver.satisfies(other.version, range)) problems.push(`${at} conflicts with ${name} ${range}, but ${name}@${other.version} is locked`)
  }
  const core = manifest.min_provisioning_version
  if (core && semver.valid(core) && semver.lt(lock.core_version, core))
    problems.push(`${at} needs provisioning ${core} or newer, but the lock is for core ${lock.core_version}`)
  return problems
}
