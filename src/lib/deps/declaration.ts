// The workspace's dependency declaration: the one place outside config/ where `dependencies.*` keys are read.
import path from 'node:path'

import semver from 'semver'

import {getPath} from '../config/merge.js'
import {type ConfigTable, isTable} from '../config/types.js'
import {ConfigError, type ErrorOptions} from '../errors.js'
import {isExtensionName} from '../extension/names.js'
import {parseReference, type Reference} from '../oci/reference.js'
import {tagVersion} from '../oci/versions.js'
import {expandHome} from '../util/home.js'
import {isRepositoryName, type Repository} from '../repository/repository.js'
import type {RootRequirement} from './types.js'

export const MODULE_GROUPS = {providers: 'provider', taskservs: 'taskserv', clusters: 'cluster'} as const
export type ModuleGroup = keyof typeof MODULE_GROUPS
export type ExtensionKind = (typeof MODULE_GROUPS)[ModuleGroup]

/** Where extensions come from (SPEC §9.1 `dependencies.extensions`). */
export type ExtensionSource = {kind: 'oci'; registry: string; namespace: string; tlsEnabled?: boolean; tokenPath?: string} | {kind: 'local'; path: string}

export interface DeclaredModule {
  name: string
  type: ExtensionKind
  /** Semver range: an exact version for a tagged reference, `*` for an untagged one. */
  range: string
  /** A reference naming its own registry or repository; otherwise the source's default. */
  reference?: Reference
  /** Where it is declared, for messages: `dependencies.extensions.modules.taskservs[1]`. */
  declaredAt: string
  /** `{name, version, repository}`: the name is looked up only in that repository (SPEC §13). */
  repository?: string
}

export interface Declaration {
  source: ExtensionSource
  modules: DeclaredModule[]
  /**
   * `dependencies.extensions.repositories`: the repositories unpinned names are looked up in
   * (SPEC §13); absent: the implicit one only, as before repositories existed.
   */
  repositories?: string[]
  /**
   * The repositories the declaration names (its list and its pins), bound to their
   * declarations by openWorkspaceDependencies; absent when the declaration names none.
   */
  sources?: DeclaredRepositories
  /** `dependencies.core.source`: its tag is the core version checked by min_provisioning_version. */
  core?: {source: string; version: string}
  /**
   * Where a key path of the declaration (a module's `declaredAt`) was set: the file and
   * line (`config/provisioning.yaml:12`) or the runtime source (`--set …`). Present when
   * the declaration was read from a loaded config (LoadedConfig.locate); reads line
   * information only when called, so call it only to explain something.
   */
  locate?: (keyPath: string) => Promise<string | undefined>
}

/** Module name → where it is declared (`config/provisioning.yaml:12`), for the modules the declaration can locate. */
export async function moduleSites(declaration: Declaration): Promise<Map<string, string>> {
  const sites = new Map<string, string>()
  if (!declaration.locate) return sites
  for (const m of declaration.modules) {
    const site = await declaration.locate(m.declaredAt)
    if (site !== undefined) sites.set(m.name, site)
  }
  return sites
}

/**
 * The resolver's roots: one requirement per declared module, with `location` (the declaring
 * file and line) when the declaration can tell. Costs a line lookup per module (a map
 * lookup for YAML; the TOML line parser is loaded when a module comes from a TOML layer),
 * so it is built only for a fresh resolution, never when a lock is followed.
 */
export async function rootRequirements(declaration: Declaration): Promise<RootRequirement[]> {
  return Promise.all(
    declaration.modules.map(async (m) => {
      const location = await declaration.locate?.(m.declaredAt)
      return {name: m.name, range: m.range, source: m.declaredAt, ...(location === undefined ? {} : {location})}
    }),
  )
}

const PREFIX = 'dependencies.extensions'
/** A declaration naming more repositories than this is refused: each is one more request per name. */
export const MAX_DECLARED_REPOSITORIES = 64

/** The repositories a declaration resolves from, bound to their declarations (see repository-binding.ts). */
export interface DeclaredRepositories {
  /** Where unpinned names are looked up, in preference order (priority, then name). */
  searched: Repository[]
  /** Every repository named by the list or a pin, by name. */
  named: ReadonlyMap<string, Repository>
}

/** `dependencies.extensions` source fields as written, for checks and edits that quote them (module load --source, module discover, migrate-to-oci). */
export interface DeclaredSourceFields {
  /** `source_type` as written (absent: oci). */
  sourceType: unknown
  /** `local.path` as written. */
  localPath: unknown
  /** `oci.registry` and `oci.namespace` when set to a non-empty string. */
  ociRegistry?: string
  ociNamespace?: string
}

export function declaredSourceFields(values: ConfigTable): DeclaredSourceFields {
  const text = (key: string) => {
    const value = getPath(values, `${PREFIX}.oci.${key}`)
    return typeof value === 'string' && value !== '' ? value : undefined
  }
  return {
    sourceType: getPath(values, `${PREFIX}.source_type`),
    localPath: getPath(values, `${PREFIX}.local.path`),
    ociRegistry: text('registry'),
    ociNamespace: text('namespace'),
  }
}

/**
 * `dependencies.extensions.source_type` and its `oci`/`local` table: where the workspace's
 * extensions come from. Problems are returned (parseDeclaration reports them with the rest);
 * gitea is refused at once.
 */
export function parseExtensionSource(
  values: ConfigTable,
  options: {workspacePath: string; defaults: {registry: string; namespace: string}},
): {source: ExtensionSource; problems: string[]} {
  const problems: string[] = []
  const extensions = getPath(values, PREFIX)
  if (extensions !== undefined && !isTable(extensions)) problems.push(`${PREFIX} must be a table`)
  const ext = isTable(extensions) ? extensions : {}

  const sourceType = ext.source_type ?? 'oci'
  let source: ExtensionSource = {kind: 'oci', ...options.defaults}
  if (sourceType === 'gitea') {
    throw new ConfigError(`${PREFIX}.source_type = gitea is not supported yet`, {
      hint: 'publish the extensions to an OCI registry ("provisioning oci push") and use source_type: oci, or use source_type: local',
      details: {key: `${PREFIX}.source_type`},
    })
  } else if (sourceType === 'local') {
    const local = isTable(ext.local) ? ext.local : {}
    if (typeof local.path !== 'string' || local.path === '') problems.push(`${PREFIX}.local.path must name the folder holding {type}/{name}/manifest.yaml`)
    else source = {kind: 'local', path: path.resolve(options.workspacePath, expandHome(local.path))}
  } else if (sourceType === 'oci') {
    const oci = isTable(ext.oci) ? ext.oci : {}
    const text = (key: string) => (typeof oci[key] === 'string' && oci[key] !== '' ? (oci[key] as string) : undefined)
    source = {
      kind: 'oci',
      registry: text('registry') ?? options.defaults.registry,
      namespace: text('namespace') ?? options.defaults.namespace,
      ...(typeof oci.tls_enabled === 'boolean' ? {tlsEnabled: oci.tls_enabled} : {}),
      // Relative to the workspace; where it may lie is checked by withDeclaredSource.
      ...(text('auth_token_path') ? {tokenPath: path.resolve(options.workspacePath, expandHome(text('auth_token_path') as string))} : {}),
    }
  } else {
    problems.push(`${PREFIX}.source_type must be oci or local, got ${JSON.stringify(sourceType)}`)
  }
  return {source, problems}
}

/**
 * Reads the workspace's dependency declaration (merged config) and reports every problem
 * at once as one ConfigError (exit 3), naming each key.
 */
export function parseDeclaration(
  values: ConfigTable,
  options: {workspacePath: string; defaults: {registry: string; namespace: string}; locate?: Declaration['locate']},
): Declaration {
  const {source, problems} = parseExtensionSource(values, options)
  const extensions = getPath(values, PREFIX)
  const ext = isTable(extensions) ? extensions : {}

  const modules: DeclaredModule[] = []
  const groups = ext.modules === undefined ? {} : ext.modules
  if (!isTable(groups)) problems.push(`${PREFIX}.modules must be a table of providers, taskservs and clusters`)
  for (const [group, list] of Object.entries(isTable(groups) ? groups : {})) {
    const key = `${PREFIX}.modules.${group}`
    if (!(group in MODULE_GROUPS)) {
      problems.push(`${key}: unknown module group (use providers, taskservs or clusters)`)
      continue
    }
    if (list === null || list === undefined) continue
    if (!Array.isArray(list)) {
      problems.push(`${key} must be a list`)
      continue
    }
    list.forEach((item, index) => {
      const at = `${key}[${index}]`
      try {
        modules.push(parseModule(item, MODULE_GROUPS[group as ModuleGroup], at, source))
      } catch (error) {
        problems.push(error instanceof ConfigError ? error.message : String(error))
      }
    })
  }
  const repositories = parseRepositoryList(ext.repositories, source, problems)
  if (source.kind === 'local')
    for (const m of modules)
      if (m.repository) problems.push(`${m.declaredAt}: ${m.name} pins repository ${m.repository}, but repositories serve only source_type: oci`)
  const seen = new Map<string, string>()
  for (const m of modules) {
    const other = seen.get(m.name)
    if (other) problems.push(`${m.declaredAt}: ${m.name} is already declared at ${other} (one version per extension)`)
    seen.set(m.name, m.declaredAt)
  }

  let core: Declaration['core']
  const coreSource = getPath(values, 'dependencies.core.source')
  if (coreSource !== undefined) {
    const tag = typeof coreSource === 'string' ? /:([^:/@]+)$/.exec(coreSource)?.[1] : undefined
    const version = tag ? tagVersion(tag) : undefined
    if (!version)
      problems.push(
        `dependencies.core.source must be a reference with a semver tag (e.g. oci://harbor.example.com/provisioning-core:v3.5.0), got ${JSON.stringify(coreSource)}`,
      )
    else core = {source: coreSource as string, version}
  }

  if (problems.length > 0) {
    const options: ErrorOptions = {hint: 'fix the dependency declaration in config/provisioning.yaml (SPEC §9.1)', details: {problems}}
    throw new ConfigError(
      problems.length === 1 ? problems[0] : `${problems.length} problems in the dependency declaration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      options,
    )
  }
  return {
    source,
    modules,
    ...(repositories ? {repositories} : {}),
    ...(core ? {core} : {}),
    ...(options.locate ? {locate: options.locate} : {}),
  }
}

/** `dependencies.extensions.repositories`: distinct repository names, for an OCI source only. */
function parseRepositoryList(value: unknown, source: ExtensionSource, problems: string[]): string[] | undefined {
  const key = `${PREFIX}.repositories`
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || value.length > MAX_DECLARED_REPOSITORIES) {
    problems.push(`${key} must be a list of at most ${MAX_DECLARED_REPOSITORIES} repository names (e.g. [default, internal])`)
    return undefined
  }
  if (source.kind === 'local') {
    if (value.length > 0) problems.push(`${key}: repositories serve only source_type: oci; remove the list or use source_type: oci`)
    return undefined
  }
  if (value.length === 0) problems.push(`${key} is empty: name at least one repository ("default" is dependencies.extensions.oci)`)
  const names: string[] = []
  value.forEach((name, index) => {
    if (!isRepositoryName(name)) problems.push(`${key}[${index}]: ${JSON.stringify(name)} is not a repository name (lower-case letters, digits, "-", "_")`)
    else if (names.includes(name)) problems.push(`${key}[${index}]: ${name} is listed twice`)
    else names.push(name)
  })
  return names
}

function parseModule(item: unknown, type: ExtensionKind, at: string, source: ExtensionSource): DeclaredModule {
  if (typeof item === 'string') {
    const defaults = source.kind === 'oci' ? {registry: source.registry, namespace: source.namespace} : {registry: 'localhost', namespace: ''}
    let reference: Reference
    try {
      reference = parseReference(item, defaults)
    } catch (error) {
      throw new ConfigError(`${at}: ${(error as Error).message}`)
    }
    const name = reference.repository.split('/').pop() as string
    if (!isExtensionName(name)) throw new ConfigError(`${at}: ${item} does not end in an extension name (…/NAME:VERSION)`)
    if (reference.digest) throw new ConfigError(`${at}: ${item} pins a digest; declare a version tag (the lockfile pins digests)`)
    const version = reference.tag ? tagVersion(reference.tag) : undefined
    if (reference.tag && !version) throw new ConfigError(`${at}: tag "${reference.tag}" of ${item} is not a semver version`)
    const explicit = /^(oci|oci-layout):\/\//.test(item) || item.split('/').length > 1
    return {name, type, range: version ?? '*', ...(explicit && source.kind === 'oci' ? {reference} : {}), declaredAt: at}
  }
  if (isTable(item)) {
    const name = item.name
    const range = item.version ?? '*'
    if (!isExtensionName(name)) throw new ConfigError(`${at}: "name" must be an extension name, got ${JSON.stringify(name)}`)
    if (typeof range !== 'string' || semver.validRange(range) === null)
      throw new ConfigError(`${at}: "version" of ${name} is not a valid semver range: ${JSON.stringify(range)} (examples: 1.2.3, ^1.14, >=1.7.0 <2, 1.x)`)
    const repository = item.repository
    if (repository !== undefined && !isRepositoryName(repository))
      throw new ConfigError(
        `${at}: "repository" of ${name} must be a repository name (lower-case letters, digits, "-", "_"), got ${JSON.stringify(repository)}`,
      )
    return {name, type, range, declaredAt: at, ...(repository === undefined ? {} : {repository})}
  }
  throw new ConfigError(`${at}: expected a reference string or {name, version, repository}, got ${JSON.stringify(item)}`)
}
