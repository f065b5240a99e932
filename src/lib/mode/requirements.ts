import {access} from 'node:fs/promises'

import type {LoadedConfig} from '../config/loader.js'
import type {ConfigTable} from '../config/types.js'
import {ProvisioningError} from '../errors.js'
import {lookupCredentials, registryKey} from '../oci/credentials.js'
import {trustSettingsFrom} from '../signing/trust-policy.js'
import {expandHome} from '../util/home.js'
import {type ModePolicy, modePolicyFrom, type RequirementSettings, requirementSettingsFrom} from './settings.js'

export interface Requirement {
  id: string
  description: string
  met: boolean
  /** What was found. */
  actual: string
  /** How to meet it. */
  fix: string
}

function isLoopback(registry: string): boolean {
  const host = registryKey(registry)
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

const readable = (file: string) =>
  file
    ? access(file).then(
        () => true,
        () => false,
      )
    : Promise.resolve(false)

/**
 * The checks a mode's settings imply, evaluated against the effective config (with the
 * mode's own layer applied) and the environment: a shared registry for team modes, TLS
 * and credentials for pipelines and production, signatures, etcd and mTLS for enterprise.
 */
export async function checkRequirements(values: ConfigTable, context: {home: string; env: NodeJS.ProcessEnv; config: LoadedConfig}): Promise<Requirement[]> {
  const checks: Requirement[] = []
  const mode = modePolicyFrom(values)
  const settings = requirementSettingsFrom(values)
  const {registry} = settings
  const kind = mode.registryKind
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
  if (mode.registryTls) {
    const tls = settings.tlsEnabled === true
    checks.push({
      id: 'registry.tls',
      description: 'registry access over TLS',
      met: tls,
      actual: `oci.tls_enabled = ${String(settings.tlsEnabled)}`,
      fix: `remove the override that sets oci.tls_enabled = false (see "provisioning config show oci.tls_enabled --origin")`,
    })
  }
  if (mode.registryCredentials) {
    // The token file counts for the configured registry, the one it is bound to.
    const tokenPath = settings.authTokenPath
    const source = registry
      ? (
          await lookupCredentials(
            registry,
            {...context, token: tokenPath ? {path: expandHome(tokenPath), registry, key: 'oci.auth_token_path'} : undefined},
            false,
          )
        )?.source
      : undefined
    checks.push({
      id: 'registry.credentials',
      description: `credentials for the registry${registry ? ` ${registryKey(registry)}` : ''}`,
      met: source !== undefined,
      actual: source ? `found in ${source}` : 'none in auth.json, Docker config.json, REGISTRY_AUTH_FILE or oci.auth_token_path',
      fix: registry
        ? `run "provisioning oci login ${registryKey(registry)}" (or set oci.auth_token_path to a token file)`
        : 'set oci.registry first, then log in',
    })
  }
  if (mode.registrySignatures) {
    checks.push({
      id: 'registry.signatures',
      description: 'signature verification of artifacts',
      met: settings.verifySignatures === true,
      actual: `oci.verify_signatures = ${String(settings.verifySignatures)}`,
      fix: 'remove the override that sets oci.verify_signatures = false',
    })
    checks.push(...(await trustedKeyRequirements(context.config, userConfig)))
  }
  checks.push(...(await lockingRequirements(values, mode, settings, userConfig)))
  if (mode.authenticationMethod === 'mtls') {
    for (const key of ['cert_file', 'key_file', 'ca_file'] as const) {
      const file = settings.mtlsFile(key)
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
 * Verification needs keys to verify with: oci.trusted_keys set, and every key file named
 * there or in an oci.trust scope readable as a PEM public key (one requirement per key).
 */
async function trustedKeyRequirements(config: LoadedConfig, userConfig: string): Promise<Requirement[]> {
  const trust = trustSettingsFrom(config)
  const checks: Requirement[] = [
    {
      id: 'registry.trusted_keys',
      description: 'trusted public keys to verify signatures with',
      met: trust.global.keyFiles.length > 0,
      actual: trust.global.keyFiles.length > 0 ? `oci.trusted_keys names ${trust.global.keyFiles.length} key(s)` : 'oci.trusted_keys is empty',
      fix: `set oci.trusted_keys = ["/path/to/signer.pub.pem"] in ${userConfig} (the public key "provisioning oci key generate" writes beside the private one)`,
    },
  ]
  const files = [...new Set([...trust.global.keyFiles, ...trust.scopes.flatMap((rule) => rule.keyFiles ?? [])])]
  const {readTrustedKeys} = await import('../signing/keys.js')
  for (const file of files) {
    const read = await readTrustedKeys([file]).then(
      ([key]) => ({fingerprint: key.fingerprint}),
      (error: unknown) => {
        if (!(error instanceof ProvisioningError)) throw error
        return {problem: error.message}
      },
    )
    checks.push({
      id: `registry.trusted_key:${file}`,
      description: `trusted key ${file}`,
      met: 'fingerprint' in read,
      actual: 'fingerprint' in read ? `a public key, ${read.fingerprint}` : read.problem,
      fix: `point oci.trusted_keys at the signer's PEM public key (-----BEGIN PUBLIC KEY-----), or remove ${file} from it`,
    })
  }
  return checks
}

/**
 * Team modes need workspace locks this CLI can take: the provider the mode requires
 * (enterprise: etcd), or any working one (multi-user: file or etcd). With etcd, the
 * endpoints must be set and answer: checked with a real connection, bounded by
 * locking.etcd.timeout_seconds.
 */
async function lockingRequirements(values: ConfigTable, mode: ModePolicy, settings: RequirementSettings, userConfig: string): Promise<Requirement[]> {
  const modeProvider = mode.lockingProvider
  if (modeProvider === '' || modeProvider === 'none') return []
  const required = mode.lockingRequired === true
  const provider = settings.lockingProvider
  const accepted = required ? [modeProvider] : ['file', 'etcd']
  const checks: Requirement[] = [
    {
      id: 'locking.provider',
      description: required ? `workspace locks with ${modeProvider}` : 'a workspace lock provider (file or etcd)',
      met: accepted.includes(provider),
      actual: `locking.provider = ${provider || '(not set)'}`,
      fix: required
        ? `set locking.provider = "${modeProvider}" in ${userConfig}`
        : `set locking.provider = "file" (one machine or a shared folder) or "etcd" (a team) in ${userConfig}`,
    },
  ]
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
