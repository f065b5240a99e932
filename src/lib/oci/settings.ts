import {loadConfig, type LoadedConfig, type LoadOptions} from '../config/loader.js'
import {getPath} from '../config/merge.js'
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
  tokenPath?: string
  timeoutMs: number
  /** Slowest accepted transfer, bytes per second (limits.ts, the total deadline). */
  minBytesPerSecond: number
  retries: number
  cacheDir: string
  indexTtlSeconds: number
  home: string
  env: NodeJS.ProcessEnv
  cwd: string
}

export interface OciOverrides {
  insecure?: boolean
  concurrency?: number
  registry?: string
}

/** The `oci.*` settings of the merged config, with command-line overrides. */
export async function ociSettings(options: LoadOptions, overrides: OciOverrides = {}, loaded?: LoadedConfig): Promise<OciSettings> {
  const config = loaded ?? (await loadConfig(options))
  const value = (key: string) => getPath(config.values, key)
  const text = (key: string) => {
    const v = value(key)
    return typeof v === 'string' && v !== '' ? v : undefined
  }
  return {
    registry: overrides.registry ?? text('oci.registry') ?? 'localhost:5000',
    namespace: text('oci.namespace') ?? 'provisioning-extensions',
    tool: (text('oci.tool') ?? 'auto') as OciSettings['tool'],
    concurrency: overrides.concurrency ?? Number(value('oci.concurrency') ?? 4),
    tlsEnabled: value('oci.tls_enabled') === true,
    insecure: overrides.insecure ?? value('oci.insecure') === true,
    caFile: text('oci.ca_file'),
    tokenPath: text('oci.auth_token_path'),
    timeoutMs: Number(value('oci.timeout_seconds') ?? 30) * 1000,
    minBytesPerSecond: Number(value('oci.min_transfer_rate_kib') ?? DEFAULT_MIN_TRANSFER_RATE_KIB) * 1024,
    retries: Number(value('oci.retries') ?? 3),
    cacheDir: text('oci.cache.dir') ?? `${config.home}/cache/oci`,
    indexTtlSeconds: Number(value('oci.cache.index_ttl_seconds') ?? 300),
    home: config.home,
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
  }
}
