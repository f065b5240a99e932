// The OCI client's settings, read from the loaded config (mode requirements read the few
// `oci.*` keys they check in mode/settings.ts).
import path from 'node:path'

import type {LoadedConfig} from '../config/loader.js'
import {getPath} from '../config/merge.js'
import {ConfigError} from '../errors.js'
import {expandHome} from '../util/home.js'
import {isPlainTable} from '../util/json-exact.js'
import {assertTokenFileInStore, registryKey, type TokenFile} from './credentials.js'
import {DEFAULT_MIN_TRANSFER_RATE_KIB} from './limits.js'
import {isRegistryHost} from './reference.js'

export type EngineName = 'native' | 'oras'

export interface OciSettings {
  registry: string
  namespace: string
  tool: 'auto' | EngineName
  concurrency: number
  tlsEnabled: boolean
  insecure: boolean
  caFile?: string
  /** The bearer token file and the one registry it is for (credentials.ts). */
  token?: TokenFile
  /**
   * The registry as the user's own layers set it (defaults, config.user.toml, environment,
   * --set); '' when only a workspace layer named one. Token files go to this registry only.
   */
  userRegistry: string
  timeoutMs: number
  /** Slowest accepted transfer, bytes per second (limits.ts, the total deadline). */
  minBytesPerSecond: number
  retries: number
  cacheDir: string
  indexTtlSeconds: number
  /** `--pre`: "latest" may be a pre-release (versions.ts latestVersion). */
  prereleases: boolean
  /** Pull mirrors per registry (oci.mirrors), tried in order for content addressed by digest; none when absent. */
  mirrors?: RegistryMirrors[]
  home: string
  env: NodeJS.ProcessEnv
  cwd: string
}

/** One `oci.mirrors` entry: the registry (the authority for tags) and its mirrors, in order. */
export interface RegistryMirrors {
  /** host[:port], as registryKey() gives it. */
  registry: string
  mirrors: string[]
}

export interface OciOverrides {
  insecure?: boolean
  concurrency?: number
  registry?: string
  /** `--pre` */
  pre?: boolean
  namespace?: string
}

/** The `oci.*` settings of the merged config, with command-line overrides. */
export function ociSettingsFrom(config: LoadedConfig, overrides: OciOverrides = {}): OciSettings {
  const value = (key: string) => getPath(config.values, key)
  const text = (key: string) => {
    const v = value(key)
    return typeof v === 'string' && v !== '' ? v : undefined
  }
  const registry = overrides.registry ?? text('oci.registry') ?? 'localhost:5000'
  const userRegistry = overrides.registry ?? userRegistryOf(registry, config)
  return {
    registry,
    userRegistry,
    namespace: overrides.namespace ?? text('oci.namespace') ?? 'provisioning-extensions',
    tool: (text('oci.tool') ?? 'auto') as OciSettings['tool'],
    concurrency: overrides.concurrency ?? Number(value('oci.concurrency') ?? 4),
    tlsEnabled: value('oci.tls_enabled') === true,
    insecure: overrides.insecure ?? value('oci.insecure') === true,
    caFile: text('oci.ca_file'),
    token: tokenFile(text('oci.auth_token_path'), userRegistry, config),
    timeoutMs: Number(value('oci.timeout_seconds') ?? 30) * 1000,
    minBytesPerSecond: Number(value('oci.min_transfer_rate_kib') ?? DEFAULT_MIN_TRANSFER_RATE_KIB) * 1024,
    retries: Number(value('oci.retries') ?? 3),
    cacheDir: text('oci.cache.dir') ?? `${config.home}/cache/oci`,
    indexTtlSeconds: Number(value('oci.cache.index_ttl_seconds') ?? 300),
    prereleases: overrides.pre ?? false,
    mirrors: mirrorsFrom(userMirrorsOf(config)),
    home: config.home,
    env: config.env,
    cwd: config.cwd,
  }
}

/** Layers the user writes: their own config file, the environment and the command line. */
const USER_LAYERS = new Set(['defaults', 'user', 'runtime'])

/**
 * oci.auth_token_path, bound to the registry configured beside it. Set by the user
 * (config.user.toml, PROVISIONING_OCI__AUTH_TOKEN_PATH, --set) it may name any file; set
 * by a layer the workspace supplies (its config, environment or infra files, a workspace
 * mode file), it must lie in the user's token store (assertTokenFileInStore).
 */
function tokenFile(value: string | undefined, userRegistry: string, config: LoadedConfig): TokenFile | undefined {
  if (!value) return undefined
  const key = 'oci.auth_token_path'
  const file = path.resolve(expandHome(value))
  const layer = config.origins.get(key)?.at(-1)?.layer
  if (!layer || !USER_LAYERS.has(layer)) assertTokenFileInStore(file, key, config.home)
  return {path: file, registry: userRegistry, key}
}

/**
 * The registry the user's own layers name. A token goes only there, whoever named the token
 * file: a workspace (config layer or declaration, both arrive through pull requests) that
 * names another registry, with the user's own token file from the store, never receives it.
 */
function userRegistryOf(registry: string, config: LoadedConfig): string {
  const assignments = config.origins.get('oci.registry') ?? []
  const winner = assignments.at(-1)
  if (!winner || USER_LAYERS.has(winner.layer)) return registry
  const own = assignments.filter((a) => USER_LAYERS.has(a.layer)).at(-1)?.value
  return typeof own === 'string' && !own.includes('{{') ? own : ''
}

/**
 * `oci.mirrors` from the user's own layers only. A mirror sees every digest pulled through it
 * (private repository paths, what is installed, when): a workspace, which arrives through pull
 * requests, must not point the user's registries at another host, so a value from another
 * layer stops the command (exit 3) instead of being obeyed or silently dropped.
 */
function userMirrorsOf(config: LoadedConfig): unknown {
  const assignments = config.origins.get('oci.mirrors') ?? []
  const foreign = assignments.find((a) => !USER_LAYERS.has(a.layer))
  if (foreign) {
    throw new ConfigError(`oci.mirrors is set in the ${foreign.layer} layer${foreign.file ? ` (${foreign.file})` : ''}: pull mirrors are chosen by each user`, {
      hint: 'remove it there and set oci.mirrors in your own config.user.toml (or with --set) if you want these mirrors',
      details: {key: 'oci.mirrors', layer: foreign.layer},
    })
  }
  return getPath(config.values, 'oci.mirrors')
}

const MAX_MIRRORED_REGISTRIES = 32
const MAX_MIRRORS_PER_REGISTRY = 8

/**
 * `oci.mirrors = [{registry = "harbor.example.com", mirrors = ["mirror.local:5000", …]}]`,
 * checked whole: each entry a table of exactly these two keys, every host a registry host
 * (no scheme, path or credentials: those are looked up per host), no mirror equal to its
 * registry or listed twice, no registry twice. A bad entry is exit 3 naming its key; a value
 * that holds credentials is never echoed.
 */
export function mirrorsFrom(value: unknown): RegistryMirrors[] {
  if (value === undefined) return []
  const fail = (key: string, problem: string): never => {
    throw new ConfigError(`${key} ${problem}`, {
      hint: 'write oci.mirrors = [{registry = "host[:port]", mirrors = ["mirror-host[:port]", …]}] (credentials come from "provisioning oci login MIRROR")',
      details: {key},
    })
  }
  const host = (key: string, text: unknown): string => {
    if (typeof text !== 'string') return fail(key, 'must be a registry host[:port] (a string)')
    if (text.includes('@')) return fail(key, 'holds credentials (not shown); they are never written into config: log in to the host instead')
    if (!isRegistryHost(text)) return fail(key, `is not a registry host[:port]: ${JSON.stringify(text.slice(0, 100))} (no scheme or path)`)
    return registryKey(text)
  }
  if (!Array.isArray(value)) return fail('oci.mirrors', 'must be a list of tables')
  if (value.length > MAX_MIRRORED_REGISTRIES) return fail('oci.mirrors', `lists more than ${MAX_MIRRORED_REGISTRIES} registries`)
  const seen = new Set<string>()
  return value.map((entry: unknown, index) => {
    const at = `oci.mirrors[${index}]`
    if (!isPlainTable(entry)) return fail(at, 'must be a table {registry, mirrors}')
    const unknown = Object.keys(entry).find((key) => key !== 'registry' && key !== 'mirrors')
    if (unknown !== undefined) fail(`${at}.${unknown.slice(0, 40)}`, 'is not a mirror setting (only registry and mirrors are)')
    const registry = host(`${at}.registry`, entry.registry)
    if (seen.has(registry)) fail(`${at}.registry`, `names ${registry} a second time; list all its mirrors in one entry`)
    seen.add(registry)
    const list = entry.mirrors
    if (!Array.isArray(list) || list.length === 0) return fail(`${at}.mirrors`, 'must be a non-empty list of registry hosts')
    if (list.length > MAX_MIRRORS_PER_REGISTRY) return fail(`${at}.mirrors`, `lists more than ${MAX_MIRRORS_PER_REGISTRY} mirrors`)
    const mirrors: string[] = []
    list.forEach((item: unknown, i) => {
      const mirror = host(`${at}.mirrors[${i}]`, item)
      if (mirror === registry) fail(`${at}.mirrors[${i}]`, `is the registry itself (${registry}); a mirror is another host`)
      if (mirrors.includes(mirror)) fail(`${at}.mirrors[${i}]`, `lists ${mirror} a second time`)
      mirrors.push(mirror)
    })
    return {registry, mirrors}
  })
}
