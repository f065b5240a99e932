import {lookupCredentials} from '../credentials.js'
import {formatLocation, parseLocation} from '../reference.js'
import {isLoopbackHost, usesPlainHttp} from '../transport-policy.js'
import {describeProxy} from '../transport/proxy.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface OciConfigResult {
  engine: string
  reason: string
  orasPath?: string
  registry: string
  namespace: string
  transport: string
  /** The proxy requests to the registry go through (HTTP(S)_PROXY, NO_PROXY), credentials masked. */
  proxy: string
  concurrency: number
  timeoutSeconds: number
  /** The total-deadline allowance: a request may take timeoutSeconds plus its size at this rate. */
  minTransferRateKiB: number
  retries: number
  caFile?: string
  cacheDir: string
  credentials: string
}

/** `oci config`: the effective OCI settings, which engine runs and why, where credentials come from. */
export async function describeOciConfig(options: OciOperationOptions): Promise<OciConfigResult> {
  return withSession({...options, workspaceSource: 'fallback'}, async ({settings, engine}) => {
    const location = parseLocation(settings.registry, settings.cwd)
    const withheld = location.kind === 'remote' && usesPlainHttp(location.host, settings) && !isLoopbackHost(location.host)
    const found =
      location.kind === 'remote' ? await lookupCredentials(location.host, {home: settings.home, env: settings.env, token: settings.token}, false) : undefined
    return {
      engine: engine.name,
      reason: engine.reason,
      ...(engine.binary ? {orasPath: engine.binary} : {}),
      registry: formatLocation(location),
      namespace: settings.namespace,
      transport:
        location.kind === 'layout'
          ? 'local OCI image layout'
          : settings.tlsEnabled
            ? `https${settings.insecure ? ' (certificate not verified)' : ''}`
            : 'plain http',
      proxy:
        location.kind === 'layout'
          ? 'not used'
          : describeProxy(new URL(`${usesPlainHttp(location.host, settings) ? 'http' : 'https'}://${location.host}/`), settings.env),
      concurrency: settings.concurrency,
      timeoutSeconds: settings.timeoutMs / 1000,
      minTransferRateKiB: settings.minBytesPerSecond / 1024,
      retries: settings.retries,
      ...(settings.caFile ? {caFile: settings.caFile} : {}),
      cacheDir: settings.cacheDir,
      credentials:
        location.kind === 'layout'
          ? 'not needed'
          : found
            ? withheld
              ? `from ${found.source}, withheld: never sent in clear text to a host that is not loopback`
              : `from ${found.source}`
            : 'none (anonymous)',
    }
  })
}
