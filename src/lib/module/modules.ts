import {readdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import semver from 'semver'

import type {LoadedConfig} from '../config/loader.js'
import {pathSettingsFrom} from '../config/path-settings.js'
import {declaredSourceFields} from '../deps/declaration.js'
import {type WorkspaceDependenciesOptions, openWorkspaceDependencies, readLock} from '../deps/workspace-dependencies.js'
import {type InvalidManifest, shortLine} from '../deps/candidate.js'
import {type LocalRecord, MAX_MANIFEST_BYTES, readLocalCatalog} from '../deps/local-catalog.js'
import {MAX_DECLARED_RANGE_CHARS} from '../deps/lockfile.js'
import {type DepResolveResult, resolveWorkspace} from '../deps/resolve-workspace.js'
import {sourceSettingsFrom} from '../deps/source-settings.js'
import {NotFoundError, UsageError} from '../errors.js'
import {errorsOf} from '../extension/problems.js'
import {searchedRepositories} from '../oci/ops/catalog.js'
import {describedBy} from '../repository/index-store.js'
import {loadMergedIndex} from '../repository/index-merge.js'
import {OciStores} from '../oci/stores.js'
import {latestFields} from '../oci/versions.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {firstLine} from '../util/error-text.js'
import {expandHome} from '../util/home.js'
import {readUntrusted} from '../util/untrusted-file.js'
import {requireWorkspace, workspaceConfigFile} from '../workspace/discover.js'
import {editModules} from '../workspace/declaration-edit.js'
import {assertWorkspaceWritable} from '../workspace/lock/status.js'
import {assertLoadSource, type LoadSource} from './load-source.js'
import type {ModuleType} from './module-types.js'

const SPEC_HINT = 'use NAME, NAME@RANGE or NAME:VERSION (e.g. redis, cilium@^1.14, redis:7.2.0)'

/**
 * `redis`, `redis@^7`, `redis:7.2.0` → name and range. The range is checked here, at the
 * boundary, as the declaration loader checks it: it is written into the workspace config.
 */
export function parseModuleSpec(spec: string): {name: string; version: string} {
  const match = /^([a-z0-9][a-z0-9._-]*?)(?:[@:](.+))?$/.exec(spec)
  if (!match) throw new UsageError(`"${spec}" is not a module name`, {hint: SPEC_HINT})
  const version = match[2] ?? '*'
  if (version.length > MAX_DECLARED_RANGE_CHARS || semver.validRange(version) === null) {
    throw new UsageError(`${JSON.stringify(version.slice(0, 200))} (in the argument for ${match[1]}) is not a semver range`, {
      hint: `${SPEC_HINT}; ranges such as ">=1.7.0 <2" or "1.x" are fine`,
    })
  }
  return {name: match[1], version}
}

export interface ModuleChange {
  workspace: string
  type: ModuleType
  /** The workspace's extension source (`source_type`): where the modules came from. */
  source: string
  added: string[]
  removed: string[]
  unchanged: string[]
  resolve: DepResolveResult
}

/**
 * `module load` / `module unload`: edit the workspace's declaration, then go through the
 * resolver (so dependencies come and go with the modules). If resolution fails, the
 * declaration is restored as it was.
 */
export async function changeModules(options: {
  /** The run's config (the session's config()). */
  config: () => Promise<LoadedConfig>
  /** A fresh load of it, for the resolve after the declaration is edited (the session's loadConfig). */
  reloadConfig: () => Promise<LoadedConfig>
  type: ModuleType
  add?: string[]
  remove?: string[]
  source?: LoadSource
}): Promise<ModuleChange> {
  const loaded = await options.config()
  const ref = requireWorkspace({workspace: loaded.workspace, warning: loaded.workspaceWarning})
  const workspace = ref.path
  await assertWorkspaceWritable(ref, loaded.values, `${options.remove ? 'unload' : 'load'} modules`)
  const file = workspaceConfigFile(workspace)
  const source = await assertLoadSource(loaded.values, workspace, file, options.source)
  const before = await readFile(file, 'utf8')
  const edit = await editModules(file, options.type, {add: options.add?.map(parseModuleSpec), remove: options.remove})
  try {
    const resolve = await resolveWorkspace({config: options.reloadConfig})
    return {workspace, type: options.type, source, ...edit, resolve}
  } catch (error) {
    await writeFileAtomic(file, before)
    throw error
  }
}

export interface ModuleListing {
  workspace: string
  modules: Array<{name: string; type: string; declared: string; locked?: string; installed: boolean}>
}

/** `module list`: declared modules with their locked version and install state. */
export async function listModules(options: WorkspaceDependenciesOptions & {type?: ModuleType}): Promise<ModuleListing> {
  const context = await openWorkspaceDependencies(options)
  const locked = new Map((await readLock(context))?.extensions.map((e) => [e.name, e.version]))
  const modules = await Promise.all(
    context.declaration.modules
      .filter((m) => !options.type || m.type === options.type)
      .map(async (m) => ({
        name: m.name,
        type: m.type,
        declared: m.range,
        ...(locked.has(m.name) ? {locked: locked.get(m.name)} : {}),
        installed: await stat(path.join(context.workspace, 'extensions', `${m.type}s`, m.name, 'manifest.yaml')).then(
          () => true,
          () => false,
        ),
      })),
  )
  return {workspace: context.workspace, modules}
}

export interface DiscoveredModule {
  name: string
  type?: string
  /** The latest version (stable unless `--pre`). */
  version?: string
  /** When the name has only pre-releases and `--pre` was not given: the newest one. */
  onlyPrerelease?: string
  description?: string
  source: 'core' | 'local' | 'registry'
  /** For `registry`: the repository that offers it. */
  repository?: string
}

/** The description in a local manifest (already validated by the catalog scan), read under the same bound. */
async function localDescription(dir: string): Promise<string | undefined> {
  const read = await readUntrusted(path.join(dir, 'manifest.yaml'), {max: MAX_MANIFEST_BYTES}).catch(() => undefined)
  if (read?.kind !== 'data') return undefined
  const {parseManifestYaml} = await import('../extension/manifest.js')
  const description = parseManifestYaml(read.data.toString('utf8')).manifest?.description
  return typeof description === 'string' ? description : undefined
}

/** Invalid manifests named one by one in discover's warnings; the rest are counted. */
const MAX_INVALID_WARNINGS = 20

/** One warning per invalid manifest (its first problem), so the valid rest of the layer is still listed. */
function invalidManifestWarnings(label: string, root: string, invalid: readonly InvalidManifest[]): string[] {
  const lines = invalid.slice(0, MAX_INVALID_WARNINGS).map(({where, problems}) => {
    const errors = errorsOf(problems)
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem(s))` : ''
    return `${label}: ${path.relative(root, where) || where} skipped: ${errors[0] ? shortLine(errors[0]) : 'invalid'}${more}`
  })
  if (invalid.length > MAX_INVALID_WARNINGS) lines.push(`${label}: … and ${invalid.length - MAX_INVALID_WARNINGS} more invalid manifest(s) skipped`)
  return lines
}

/**
 * The extensions of a folder laid out as `{type}s/{name}/manifest.yaml` or
 * `{type}s/{name}/{version}/manifest.yaml`, through the scan `dep resolve` uses for local
 * sources (deps/local-catalog.ts): one row per name, at its latest version. Invalid
 * manifests become warnings (`warnings`), one each.
 */
async function scanFolder(root: string, source: 'core' | 'local', pre: boolean, warnings: string[]): Promise<DiscoveredModule[]> {
  const label = source === 'core' ? `core layer ${root}` : `local source ${root}`
  const catalog = await readLocalCatalog(root, {onInvalid: (invalid) => warnings.push(...invalidManifestWarnings(label, path.resolve(root), invalid))})
  const byName = new Map<string, LocalRecord[]>()
  for (const record of catalog.records()) byName.set(record.candidate.name, [...(byName.get(record.candidate.name) ?? []), record])
  return Promise.all(
    [...byName].map(async ([name, records]) => {
      const fields = latestFields(
        records.map((r) => r.candidate.version),
        {pre},
      )
      const shown = records.find((r) => r.candidate.version === (fields.latest ?? fields.onlyPrerelease)) ?? records[0]
      return {
        name,
        type: shown.candidate.type,
        ...(fields.latest ? {version: fields.latest} : {}),
        ...(fields.onlyPrerelease ? {onlyPrerelease: fields.onlyPrerelease} : {}),
        description: await localDescription(shown.dir),
        source,
      }
    }),
  )
}

/**
 * `module discover`: what could be loaded, from the core layer, the local source and the
 * merged index of the visible repositories (SPEC §13; the implicit one is the workspace's
 * declared source, as for `dep resolve`). A repository whose index cannot be read is a warning.
 */
export async function discoverModules(options: {
  config: () => Promise<LoadedConfig>
  type?: ModuleType
  term?: string
  refresh?: boolean
  pre?: boolean
  /** Only these repositories (by name; default: every visible one). */
  repositories?: string[]
}): Promise<{modules: DiscoveredModule[]; warnings: string[]}> {
  const loaded = await options.config()
  const pre = Boolean(options.pre)
  const warnings: string[] = []
  const found: DiscoveredModule[] = []
  const core = pathSettingsFrom(loaded).extensions
  if (
    await stat(core).then(
      (s) => s.isDirectory(),
      () => false,
    )
  ) {
    found.push(
      ...(await scanFolder(core, 'core', pre, warnings).catch((error: unknown) => {
        warnings.push(`core layer ${core} skipped: ${firstLine(error)}`)
        return []
      })),
    )
  }
  const {localPath} = declaredSourceFields(loaded.values)
  if (loaded.workspace && typeof localPath === 'string' && localPath !== '') {
    const local = path.resolve(loaded.workspace.path, expandHome(localPath))
    found.push(
      ...(await scanFolder(local, 'local', pre, warnings).catch((error: unknown) => {
        warnings.push(`local source ${local} skipped: ${firstLine(error)}`)
        return []
      })),
    )
  }
  // A broken declaration does not hide the core and local layers: registry modules come from oci.*, with a warning.
  const {settings} = sourceSettingsFrom(loaded, {pre}, 'fallback')
  const oci = new OciStores(settings)
  try {
    const repositories = searchedRepositories(loaded, {only: options.repositories, onWarning: (w) => warnings.push(w)})
    const merged = await loadMergedIndex(oci, repositories, {
      ttlSeconds: settings.indexTtlSeconds,
      refresh: options.refresh,
      concurrency: settings.concurrency,
    })
    for (const part of merged.parts) if (part.error) warnings.push(`repository ${part.repository} (${part.url}): index unavailable: ${part.error}`)
    for (const {repository, extension} of merged.entries) {
      const fields = latestFields(
        extension.versions.map((v) => v.tag),
        {pre},
      )
      const shown = describedBy(extension, pre)
      found.push({
        name: extension.name,
        type: shown?.type,
        ...(fields.latest ? {version: fields.latest} : {}),
        ...(fields.onlyPrerelease ? {onlyPrerelease: fields.onlyPrerelease} : {}),
        description: shown?.description,
        source: 'registry',
        repository: repository.name,
      })
    }
  } finally {
    await oci.close()
  }
  const term = options.term?.toLowerCase()
  const modules = found
    .filter((m) => !options.type || m.type === options.type)
    .filter((m) => !term || m.name.includes(term) || (m.description ?? '').toLowerCase().includes(term))
    .sort((a, b) => a.name.localeCompare(b.name) || a.source.localeCompare(b.source))
  return {modules, warnings}
}

export interface LayerResolution {
  name: string
  type: ModuleType
  /** Highest-priority layer that provides the extension. */
  provider?: string
  layers: Array<{layer: 'infrastructure' | 'workspace' | 'core'; path: string; present: boolean}>
  /** Per file (relative path): the layer whose copy wins, and the layers it shadows. */
  files: Array<{file: string; layer: string; shadows: string[]}>
}

async function filesUnder(root: string, dir = root): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true}).catch(() => [])) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesUnder(root, full)))
    else out.push(path.relative(root, full))
  }
  return out
}

/** `module resolve`: which layer provides an extension and, per file, which layer wins (SPEC §10). */
export async function explainLayers(options: {config: () => Promise<LoadedConfig>; type: ModuleType; name: string}): Promise<LayerResolution> {
  const loaded = await options.config()
  const sub = path.join(`${options.type}s`, options.name)
  const layers: LayerResolution['layers'] = []
  if (loaded.workspace && loaded.infra)
    layers.push({layer: 'infrastructure', path: path.join(loaded.workspace.path, 'infra', loaded.infra, 'extensions', sub), present: false})
  if (loaded.workspace) layers.push({layer: 'workspace', path: path.join(loaded.workspace.path, 'extensions', sub), present: false})
  layers.push({layer: 'core', path: path.join(pathSettingsFrom(loaded).extensions, sub), present: false})
  const winners = new Map<string, {layer: string; shadows: string[]}>()
  for (const layer of layers) {
    layer.present = await stat(layer.path).then(
      (s) => s.isDirectory(),
      () => false,
    )
    if (!layer.present) continue
    for (const file of await filesUnder(layer.path)) {
      const winner = winners.get(file)
      if (winner) winner.shadows.push(layer.layer)
      else winners.set(file, {layer: layer.layer, shadows: []})
    }
  }
  const provider = layers.find((l) => l.present)?.layer
  if (!provider) {
    throw new NotFoundError(`no layer provides ${options.type} ${options.name}`, {
      hint: `looked in: ${layers.map((l) => l.path).join(', ')}; load it with "provisioning module load ${options.type} ${options.name}"`,
      details: {layers},
    })
  }
  const files = [...winners].map(([file, w]) => ({file, ...w})).sort((a, b) => a.file.localeCompare(b.file))
  return {name: options.name, type: options.type, provider, layers, files}
}

/**
 * `module load TYPE [WORKSPACE] NAME...`: with two or more names, a first one that is a
 * registered workspace (and not also a module spec the user could mean) names the workspace.
 */
export async function splitWorkspaceArgument(home: string, args: string[]): Promise<{workspace?: string; names: string[]}> {
  if (args.length < 2) return {names: args}
  const {readKnownWorkspaces} = await import('../workspace/known-workspaces.js')
  const {workspaces} = await readKnownWorkspaces(home)
  return workspaces.some((w) => w.name === args[0]) ? {workspace: args[0], names: args.slice(1)} : {names: args}
}
