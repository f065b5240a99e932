import {access} from 'node:fs/promises'

import {getPath} from '../config/merge.js'
import type {ConfigTable} from '../config/types.js'
import {lookupCredentials, registryKey} from '../oci/credentials.js'
import {expandHome} from '../util/home.js'

export interface Requirement {
  id: string
  description: string
  met: boolean
  /** What was found. */
  actual: string
  /** How to meet it. */
  fix: string
}

const str = (values: ConfigTable, key: string) => {
  const value = getPath(values, key)
  return typeof value === 'string' ? value : value === undefined ? '' : String(value)
}

function isLoopback(registry: string): boolean {
  const host = registryKey(registry).replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

const readable = (file: string) => (file ? access(file).then(() => true, () => false) : Promise.resolve(false))

/**
 * The checks a mode's settings imply, evaluated against the effective config (with the
 * mode's own layer applied) and the environment: a shared registry for team modes, TLS
 * and credentials for pipelines and production, signatures, etcd and mTLS for enterprise.
 */
export async function checkRequirements(values: ConfigTable, context: {home: string; env: NodeJS.ProcessEnv}): Promise<Requirement[]> {
  const checks: Requirement[] = []
  const registry = str(values, 'oci.registry')
  const kind = str(values, 'mode.registry.kind')
  const userConfig = '$PROVISIONING_HOME/config.user.toml or the workspace config'

  if (kind && kind !== 'local') {
    const local = registry === '' || registry.startsWith('oci-layout://') || isLoopback(registry)
    checks.push({
      id: 'registry.shared',
      description: `a shared OCI registry (${kind})`,
      met: !local,
      actual: registry ? `oci.registry = ${registry}` : 'oci.registry is not set',
      fix: `set oci.registry to the team registry host in ${userConfig} (e.g. oci.registry = "harbor.example.com")`,
    })
  }
  if (getPath(values, 'mode.registry.tls_enabled') === true) {
    const tls = getPath(values, 'oci.tls_enabled') === true
    checks.push({
      id: 'registry.tls',
      description: 'registry access over TLS',
      met: tls,
      actual: `oci.tls_enabled = ${String(getPath(values, 'oci.tls_enabled'))}`,
      fix: `remove the override that sets oci.tls_enabled = false (see "provisioning config show oci.tls_enabled --origin")`,
    })
  }
  if (getPath(values, 'mode.registry.credentials_required') === true) {
    // The token file counts for the configured registry, the one it is bound to.
    const tokenPath = str(values, 'oci.auth_token_path')
    const source = registry ? (await lookupCredentials(registry, {...context, token: tokenPath ? {path: expandHome(tokenPath), registry, key: 'oci.auth_token_path'} : undefined}, false))?.source : undefined
    checks.push({
      id: 'registry.credentials',
      description: `credentials for the registry${registry ? ` ${registryKey(registry)}` : ''}`,
      met: source !== undefined,
      actual: source ? `found in ${source}` : 'none in auth.json, Docker config.json, REGISTRY_AUTH_FILE or oci.auth_token_path',
      fix: registry ? `run "provisioning oci login ${registryKey(registry)}" (or set oci.auth_token_path to a token file)` : 'set oci.registry first, then log in',
    })
  }
  if (getPath(values, 'mode.registry.verify_signatures') === true) {
    checks.push({
      id: 'registry.signatures',
      description: 'signature verification of artifacts',
      met: getPath(values, 'oci.verify_signatures') === true,
      actual: `oci.verify_signatures = ${String(getPath(values, 'oci.verify_signatures'))}`,
      fix: 'remove the override that sets oci.verify_signatures = false',
    })
  }
  checks.push(...(await lockingRequirements(values, userConfig)))
  if (str(values, 'mode.authentication.method') === 'mtls') {
    for (const key of ['cert_file', 'key_file', 'ca_file']) {
      const file = str(values, `security.mtls.${key}`)
      checks.push({
        id: `mtls.${key}`,
        description: `mTLS ${key.replace('_file', '')} file`,
        met: await readable(file),
        actual: file ? `security.mtls.${key} = ${file}${(await readable(file)) ? '' : ' (not readable)'}` : `security.mtls.${key} is not set`,
        fix: `set security.mtls.${key} to a readable PEM file in ${userConfig}`,
      })
    }
  }
  return checks
}

/**
 * Team modes need workspace locks this CLI can take: the provider the mode requires
 * (enterprise: etcd), or any working one (multi-user: file or etcd). With etcd, the
 * endpoints must be set and answer: checked with a real connection, bounded by
 * locking.etcd.timeout_seconds.
 */
async function lockingRequirements(values: ConfigTable, userConfig: string): Promise<Requirement[]> {
  const modeProvider = str(values, 'mode.locking.provider')
  if (modeProvider === '' || modeProvider === 'none') return []
  const required = getPath(values, 'mode.locking.required') === true
  const provider = str(values, 'locking.provider')
  const accepted = required ? [modeProvider] : ['file', 'etcd']
  const checks: Requirement[] = [{
    id: 'locking.provider',
    description: required ? `workspace locks with ${modeProvider}` : 'a workspace lock provider (file or etcd)',
    met: accepted.includes(provider),
    actual: `locking.provider = ${provider || '(not set)'}`,
    fix: required
      ? `set locking.provider = "${modeProvider}" in ${userConfig}`
      : `set locking.provider = "file" (one machine or a shared folder) or "etcd" (a team) in ${userConfig}`,
  }]
  if (provider !== 'etcd' && !(required && modeProvider === 'etcd')) return checks

  const [{lockSettings}, {isEtcdEndpoint}] = await Promise.all([import('../workspace/lock/settings.js'), import('../workspace/lock/etcd-client.js')])
  const etcd = lockSettings(values).etcd
  const valid = etcd.endpoints.filter((e) => isEtcdEndpoint(e))
  checks.push({
    id: 'locking.etcd',
    description: 'etcd endpoints for workspace locks',
    met: valid.length > 0 && valid.length === etcd.endpoints.length,
    actual: `locking.etcd.endpoints = ${JSON.stringify(etcd.endpoints)}`,
    fix: `set locking.etcd.endpoints = ["https://etcd.example.com:2379"] in ${userConfig} (each as http(s)://host:port)`,
  })
  if (valid.length === 0) return checks
  const {probeEtcd} = await import('../workspace/lock/etcd-probe.js')
  const probes = await probeEtcd({...etcd, endpoints: valid})
  checks.push({
    id: 'locking.etcd.reachable',
    description: 'a reachable etcd for workspace locks',
    met: probes.some((p) => p.reachable),
    actual: probes.map((p) => `${p.endpoint}: ${p.reachable ? `reachable (${p.detail})` : p.detail}`).join('; '),
    fix: `start etcd at ${valid.join(', ')} or point locking.etcd.endpoints at a running cluster; check with "etcdctl --endpoints=${valid[0]} endpoint health"`,
  })
  return checks
}
