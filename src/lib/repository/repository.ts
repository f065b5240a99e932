// Repositories (SPEC §13): named extension sources declared in config. The one place where
// `repositories.*` and `repository_selector` are read.
import path from 'node:path'

import type {LoadedConfig} from '../config/loader.js'
import {winningAssignment} from '../config/locate.js'
import {getPath} from '../config/merge.js'
import {isTable, type LayerName} from '../config/types.js'
import {isProvisioningError, UsageError} from '../errors.js'
import {LAYOUT_SCHEME, type Location, parseLocation} from '../oci/reference.js'
import {expandHome} from '../util/home.js'
import {parseSelector, type Selector, selectorMatches} from './selector.js'

export type Visibility = 'public' | 'private'
export type RepositoryMode = 'ro' | 'rw'

/**
 * A repository as declared, parsed into typed values at this one boundary: a declaration
 * arrives through pull requests (public ones) and is read like any other untrusted input.
 */
export interface Repository {
  /** `[a-z0-9][a-z0-9_-]*` (no dots: config keys with dots do not survive interpolation). */
  name: string
  /** The URL as written: `oci://host[:port]/namespace` or `oci-layout://PATH`. */
  url: string
  /** Where its store is: a registry host or a layout folder (absolute). */
  location: Location
  /** Repository path prefix inside the registry (`team/extensions`); '' for a layout or a registry root. */
  namespace: string
  description?: string
  labels: Record<string, string>
  visibility: Visibility
  mode: RepositoryMode
  /** Lower is preferred; ties by name. Declared repositories default to DEFAULT_PRIORITY. */
  priority: number
  /** The workspace's `dependencies.extensions.oci` source (or `oci.*` outside a workspace). */
  implicit: boolean
  /** Where it is declared, for messages (`config/provisioning.yaml`, `~/.provisioning/config.user.toml`, `--set …`). */
  declaredIn: string
  /** The layer that set its URL: which file `repo update/remove` edits. */
  layer: LayerName
}

export interface RepositorySet {
  /** Every repository declared (implicit first), sorted by preference (`byPreference`). */
  all: Repository[]
  /** Those the user's `repository_selector` lets this user's commands see (all without a selector). */
  visible: Repository[]
  selector?: Selector
  /** Declaration problems, each naming its key; the repositories they concern are left out. */
  problems: string[]
}

export const IMPLICIT_REPOSITORY = 'default'
export const DEFAULT_PRIORITY = 100
/** The implicit repository comes first among equals: it is what a single-registry workspace always used. */
const IMPLICIT_PRIORITY = 0
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/
const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/
const NAMESPACE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/
export const MAX_DESCRIPTION = 1024
export const MAX_LABELS = 64
const FIELDS = new Set(['url', 'description', 'labels', 'visibility', 'mode', 'priority'])

export const isRepositoryName = (value: unknown): value is string => typeof value === 'string' && NAME.test(value)
export const isLabelKey = (value: string) => LABEL_KEY.test(value)
export const isLabelValue = (value: string) => LABEL_VALUE.test(value)

/** Preference order: priority ascending, then name. Resolution and the merged index use it. */
export const byPreference = (a: Repository, b: Repository) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/**
 * `oci://host[:port]/namespace` or `oci-layout://PATH` (relative to `baseDir`) into a
 * location and namespace; throws a UsageError (exit 2) naming what is wrong.
 */
export function parseRepositoryUrl(url: string, baseDir: string): {location: Location; namespace: string} {
  if (url.startsWith(LAYOUT_SCHEME)) {
    const dir = url.slice(LAYOUT_SCHEME.length)
    return {location: parseLocation(`${LAYOUT_SCHEME}${path.resolve(baseDir, expandHome(dir))}`, baseDir), namespace: ''}
  }
  if (!url.startsWith('oci://')) throw urlError(url, 'it must start with oci:// or oci-layout://')
  const rest = url.slice('oci://'.length).replace(/\/+$/, '')
  const slash = rest.indexOf('/')
  const host = slash < 0 ? rest : rest.slice(0, slash)
  const namespace = slash < 0 ? '' : rest.slice(slash + 1)
  const location = parseLocation(host, baseDir)
  if (namespace !== '' && !NAMESPACE.test(namespace)) throw urlError(url, `namespace "${namespace}" must be lower-case path components`)
  return {location, namespace}
}

function urlError(url: string, why: string) {
  return new UsageError(`invalid repository URL ${JSON.stringify(withoutUserinfo(url))}: ${why}`, {
    hint: 'use oci://host[:port]/namespace or oci-layout://PATH; credentials are looked up by host (provisioning oci login HOST), never written in a URL',
  })
}

/** A URL as messages may show it: whatever sits before an `@` of its authority is a password as often as not. */
const withoutUserinfo = (url: string) => url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, (_, scheme: string | undefined) => `${scheme ?? ''}***@`)

/** The layers a private repository may be declared in: the user's own. */
const PRIVATE_LAYERS: ReadonlySet<LayerName> = new Set(['user', 'runtime'])

/**
 * Every repository of the merged config: `repositories.<name>` tables plus the implicit one
 * (the caller passes the source `dep resolve` uses: the workspace's declared OCI source, else
 * `oci.*`). Visibility follows the layer that set the URL: the user's config (or a runtime
 * override) is private, anything else (workspace, mode, defaults, environment) public; a
 * declared `visibility` that disagrees is a problem. The selector comes from the user's own
 * layers only: a workspace cannot hide repositories from its users.
 */
export function repositoriesFrom(config: LoadedConfig, implicit?: {registry: string; namespace: string}): RepositorySet {
  const problems: string[] = []
  const all: Repository[] = []
  const declared = getPath(config.values, 'repositories')
  if (declared !== undefined && !isTable(declared)) problems.push('repositories must be a table of repositories (repositories.<name>.url = …)')
  for (const [name, value] of Object.entries(isTable(declared) ? declared : {})) {
    const key = `repositories.${name}`
    try {
      all.push(parseDeclared(config, name, value, key))
    } catch (error) {
      problems.push(isProvisioningError(error) ? error.message : String(error))
    }
  }
  if (implicit && !all.some((r) => r.name === IMPLICIT_REPOSITORY)) {
    try {
      const url = implicit.registry.startsWith(LAYOUT_SCHEME)
        ? implicit.registry
        : `oci://${implicit.registry}${implicit.namespace ? `/${implicit.namespace}` : ''}`
      const location = parseLocation(implicit.registry, config.cwd)
      all.push({
        name: IMPLICIT_REPOSITORY,
        url,
        location,
        namespace: location.kind === 'layout' ? '' : implicit.namespace,
        labels: {},
        visibility: 'public',
        mode: 'rw',
        priority: IMPLICIT_PRIORITY,
        implicit: true,
        declaredIn: config.workspace ? 'dependencies.extensions.oci' : 'oci.registry',
        layer: config.workspace ? 'workspace' : 'user',
      })
    } catch (error) {
      problems.push(`the implicit repository: ${isProvisioningError(error) ? error.message : String(error)}`)
    }
  }
  all.sort(byPreference)

  let selector: Selector | undefined
  // The user's own layers only: a workspace (or mode) value neither replaces nor clears the user's selector.
  const history = config.origins.get('repository_selector') ?? []
  const foreign = history.filter((a) => !PRIVATE_LAYERS.has(a.layer)).at(-1)
  if (foreign && foreign.value !== '' && foreign.layer !== 'defaults')
    problems.push(`repository_selector is set in the ${foreign.layer} layer and ignored: it belongs in config.user.toml (each user chooses what they see)`)
  const selectorText = history.filter((a) => PRIVATE_LAYERS.has(a.layer)).at(-1)?.value
  if (selectorText !== undefined && selectorText !== '') {
    if (typeof selectorText !== 'string') problems.push('repository_selector must be a string of label expressions (e.g. "env=prod,team in (core,net)")')
    else {
      try {
        selector = parseSelector(selectorText)
      } catch (error) {
        problems.push(`repository_selector: ${isProvisioningError(error) ? error.message : String(error)}`)
      }
    }
  }
  // The implicit repository is what the workspace resolves from: a selector never hides it.
  const visible = selector ? all.filter((r) => r.implicit || selectorMatches(selector as Selector, r.labels)) : all
  return {all, visible, ...(selector ? {selector} : {}), problems}
}

function parseDeclared(config: LoadedConfig, name: string, value: unknown, key: string): Repository {
  const fail = (message: string) => new UsageError(`${key}: ${message}`)
  if (!isRepositoryName(name)) throw fail('a repository name is lower-case letters, digits, "-" and "_" (at most 63, no dots)')
  if (name === IMPLICIT_REPOSITORY) throw fail(`"${IMPLICIT_REPOSITORY}" names the workspace's dependencies.extensions.oci source; choose another name`)
  if (!isTable(value)) throw fail('must be a table with at least url')
  for (const field of Object.keys(value))
    if (!FIELDS.has(field)) throw fail(`unknown field "${field}" (fields: ${[...FIELDS].join(', ')}; credentials are looked up by host, never declared)`)
  if (typeof value.url !== 'string' || value.url === '') throw fail('url must be oci://host[:port]/namespace or oci-layout://PATH')
  const site = winningAssignment(config.origins, `${key}.url`)?.assignment
  const layer: LayerName = site?.layer ?? 'defaults'
  // A layout path is relative to the file that declared it (the working folder for runtime values).
  const baseDir = site?.file ? path.dirname(site.file) : config.cwd
  const {location, namespace} = withKey(() => parseRepositoryUrl(value.url as string, baseDir), fail)
  const visibility: Visibility = PRIVATE_LAYERS.has(layer) ? 'private' : 'public'
  if (value.visibility !== undefined && value.visibility !== visibility) {
    if (value.visibility !== 'public' && value.visibility !== 'private') throw fail('visibility must be public or private')
    throw fail(
      value.visibility === 'private'
        ? `declared private in the ${layer} layer: private repositories belong in config.user.toml`
        : `declared public in the ${layer} layer: public repositories belong in the workspace's config/provisioning.yaml`,
    )
  }
  if (value.mode !== undefined && value.mode !== 'ro' && value.mode !== 'rw') throw fail('mode must be ro or rw')
  const priority = value.priority ?? DEFAULT_PRIORITY
  if (typeof priority !== 'number' || !Number.isSafeInteger(priority) || priority < 0 || priority > 1_000_000)
    throw fail('priority must be an integer from 0 to 1000000 (lower is preferred)')
  if (value.description !== undefined && (typeof value.description !== 'string' || value.description.length > MAX_DESCRIPTION))
    throw fail(`description must be a string of at most ${MAX_DESCRIPTION} characters`)
  const labels = parseLabels(value.labels, fail)
  return {
    name,
    url: value.url,
    location,
    namespace,
    ...(typeof value.description === 'string' ? {description: value.description} : {}),
    labels,
    visibility,
    mode: (value.mode ?? 'ro') as RepositoryMode,
    priority,
    implicit: false,
    declaredIn: site?.file ?? site?.source ?? layer,
    layer,
  }
}

/** A problem found by a shared parser, named by the declaration's key. */
function withKey<T>(parse: () => T, fail: (message: string) => Error): T {
  try {
    return parse()
  } catch (error) {
    throw fail(isProvisioningError(error) ? error.message : String(error))
  }
}

function parseLabels(value: unknown, fail: (message: string) => Error): Record<string, string> {
  if (value === undefined) return {}
  if (!isTable(value)) throw fail('labels must be a table of key = "value"')
  const entries = Object.entries(value)
  if (entries.length > MAX_LABELS) throw fail(`at most ${MAX_LABELS} labels`)
  const labels: Record<string, string> = {}
  for (const [k, v] of entries) {
    if (!isLabelKey(k)) throw fail(`label key ${JSON.stringify(k)} must be letters, digits, ".", "_", "-", "/" (at most 63)`)
    if (typeof v !== 'string' || !isLabelValue(v)) throw fail(`label ${k} must be a string of letters, digits, ".", "_", "-" (at most 63)`)
    labels[k] = v
  }
  return labels
}
