import type {Etcd3} from 'etcd3'

import {AuthError, ConfigError, isProvisioningError, RegistryError} from '../../errors.js'
import type {EtcdSettings} from './settings.js'

const ENDPOINT = /^https?:\/\/[^/\s]+$/

/** http(s)://host[:port], a trailing slash allowed (also what `mode validate` checks). */
export function isEtcdEndpoint(endpoint: string): boolean {
  return ENDPOINT.test(endpoint.replace(/\/+$/, ''))
}

export function checkEndpoints(settings: EtcdSettings): string[] {
  const endpoints = settings.endpoints.map((e) => e.replace(/\/+$/, ''))
  if (endpoints.length === 0) {
    throw new ConfigError('locking.etcd.endpoints is empty: no etcd to store workspace locks in', {
      hint: 'set locking.etcd.endpoints = ["http://etcd-host:2379"] in $PROVISIONING_HOME/config.user.toml or the workspace config, or use --provider file',
    })
  }
  const bad = endpoints.filter((e) => !isEtcdEndpoint(e))
  if (bad.length > 0) {
    throw new ConfigError(`invalid etcd endpoint(s) in locking.etcd.endpoints: ${bad.join(', ')}`, {
      hint: 'write each endpoint as http://host:port or https://host:port',
      details: {endpoints: bad},
    })
  }
  return endpoints
}

/**
 * A client that fails fast: no retries or circuit breakers (one CLI call is one attempt;
 * each endpoint is still tried once), and a deadline on every unary call, so an unreachable
 * cluster costs at most the timeout per endpoint, not gRPC's default of forever.
 */
export async function openEtcd(settings: EtcdSettings): Promise<Etcd3> {
  const hosts = checkEndpoints(settings)
  const {Etcd3} = await import('etcd3')
  const once = {
    execute: async <T>(fn: (context: {signal: AbortSignal; attempt: number}) => Promise<T> | T) => fn({signal: new AbortController().signal, attempt: 1}),
  }
  type FaultHandling = NonNullable<ConstructorParameters<typeof Etcd3>[0]>['faultHandling']
  return new Etcd3({
    hosts,
    faultHandling: {host: () => once, global: once} as unknown as FaultHandling,
    defaultCallOptions: (context) => (context.isStream ? {} : {deadline: Date.now() + settings.timeoutMs}),
  })
}

/** Any failure to talk to etcd: exit 6 naming the endpoints (exit 7 when etcd refused our credentials). */
export function etcdError(error: unknown, settings: EtcdSettings, doing: string): Error {
  // Only the client's own failures mean "etcd said no or is not there"; anything else is ours.
  if (isProvisioningError(error) || !/^(GRPC|Etcd|Client)/.test((error as Error)?.constructor?.name ?? '')) return error as Error
  const message = (error as Error)?.message ?? String(error)
  const endpoints = settings.endpoints.join(', ')
  if (/permission denied|authentication failed|invalid auth token|user name is empty/i.test(message)) {
    return new AuthError(`etcd at ${endpoints} refused to ${doing}: ${message}`, {
      hint: 'the etcd cluster has authentication enabled; this CLI connects without credentials: grant anonymous access to the lock prefix or use --provider file',
      details: {endpoints: settings.endpoints},
    })
  }
  const reason = message
    .split('\n')[0]
    .replace(/^\d+ /, '')
    .replace(/\.?\s*Resolution note:.*$/, '')
  return new RegistryError(`cannot ${doing}: etcd unreachable at ${endpoints} (${reason})`, {
    hint: 'check that etcd runs and listens there ("etcdctl --endpoints=URL endpoint health"), or fix locking.etcd.endpoints ("provisioning config show locking.etcd --origin")',
    details: {endpoints: settings.endpoints, timeoutMs: settings.timeoutMs},
  })
}
