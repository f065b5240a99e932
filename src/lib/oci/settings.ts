// The OCI client's settings, read from the loaded config (mode requirements read the few
// `oci.*` keys they check in mode/settings.ts).
import path from 'node:path'

import type {LoadedConfig} from '../config/loader.js'
import {getPath} from '../config/merge.js'
import {expandHome} from '../util/home.js'
import {assertTokenFileInStore, type TokenFile} from './credentials.js'
import {DEFAULT_MIN_TRANSFER_RATE_KIB} from './limits.js'

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
  home: string
  env: NodeJS.ProcessEnv
  cwd: string
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
