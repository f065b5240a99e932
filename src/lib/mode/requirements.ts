import {access} from 'node:fs/promises'

import {getPath} from '../config/merge.js'
import type {ConfigTable} from '../config/types.js'
import {lookupCredentials, registryKey} from '../oci/credentials.js'

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
    const source = registry ? (await lookupCredentials(registry, {...context, tokenPath: str(values, 'oci.auth_token_path')}, false))?.source : undefined
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
  if (str(values, 'mode.locking.provider') === 'etcd' && getPath(values, 'mode.locking.required') === true) {
    const endpoints = getPath(values, 'locking.etcd.endpoints')
    const list = Array.isArray(endpoints) ? endpoints.filter((e) => typeof e === 'string' && /^https?:\/\/[^/]+/.test(e)) : []
    checks.push({
      id: 'locking.etcd',
      description: 'etcd workspace locking with at least one endpoint',
      met: str(values, 'locking.provider') === 'etcd' && list.length > 0,
      actual: `locking.provider = ${str(values, 'locking.provider')}, locking.etcd.endpoints = ${JSON.stringify(endpoints ?? [])}`,
      fix: `set locking.etcd.endpoints = ["https://etcd.example.com:2379"] in ${userConfig}`,
    })
  }
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
