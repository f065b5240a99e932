import {closestMatch} from '../util/closest.js'
import {getPath, leaves} from './merge.js'
import {type ConfigProblem, type ConfigTable, isTable} from './types.js'

export type ValueKind = 'string' | 'integer' | 'boolean' | 'string[]' | 'table[]'

export interface KeySpec {
  kind: ValueKind
  description: string
  enum?: readonly string[]
  min?: number
}

/**
 * Known config keys. Defaults and documentation live in templates/config.defaults.toml;
 * this table adds types so `config validate` can check every layer. Keys under an open
 * table are free-form (user variables, dependency declarations, mode settings).
 */
export const KNOWN_KEYS: Record<string, KeySpec> = {
  environment: {kind: 'string', description: 'environment whose {env}-defaults.toml forms layer 5'},
  'workspace.name': {kind: 'string', description: 'workspace name'},
  'workspace.description': {kind: 'string', description: 'workspace description'},
  'paths.base': {kind: 'string', description: 'per-user base folder (PROVISIONING_HOME)'},
  'paths.cache': {kind: 'string', description: 'cache folder'},
  'paths.extensions': {kind: 'string', description: 'core extension layer'},
  'paths.oci_store': {kind: 'string', description: 'embedded OCI image layout registry'},
  'paths.services': {kind: 'string', description: 'platform service state'},
  'paths.workspaces': {kind: 'string', description: 'default parent folder for new workspaces'},
  'oci.registry': {kind: 'string', description: 'registry host[:port] or oci-layout://PATH'},
  'oci.namespace': {kind: 'string', description: 'repository namespace for extensions'},
  'oci.tool': {kind: 'string', enum: ['auto', 'native', 'oras'], description: 'OCI engine'},
  'oci.concurrency': {kind: 'integer', min: 1, description: 'parallel transfers'},
  'oci.tls_enabled': {kind: 'boolean', description: 'HTTPS (true) or plain HTTP (false)'},
  'oci.insecure': {kind: 'boolean', description: 'skip TLS certificate verification'},
  'oci.ca_file': {kind: 'string', description: 'extra CA certificate (PEM)'},
  'oci.auth_token_path': {kind: 'string', description: 'file holding a registry token'},
  'oci.timeout_seconds': {kind: 'integer', min: 1, description: 'per-request timeout'},
  'oci.min_transfer_rate_kib': {
    kind: 'integer',
    min: 1,
    description: 'slowest accepted transfer (KiB/s): a request must end within oci.timeout_seconds plus its size at this rate',
  },
  'oci.retries': {kind: 'integer', min: 0, description: 'retries on 408/429/5xx/resets'},
  'oci.verify_signatures': {kind: 'boolean', description: 'require signed artifacts'},
  'oci.trusted_keys': {kind: 'string[]', description: 'public keys (PEM) whose signatures are trusted; relative to the file that sets them'},
  'oci.signing_key': {kind: 'string', description: 'private key (encrypted PEM) oci push --sign uses by default'},
  'oci.require_signed_push': {kind: 'boolean', description: 'oci push refuses to publish unsigned'},
  // Each entry's fields are checked where the policy is read (signing/trust-policy.ts).
  'oci.trust': {kind: 'table[]', description: 'per registry/namespace trust: [{scope, verify_signatures, trusted_keys}]'},
  'oci.mirrors': {kind: 'table[]', description: 'pull mirrors per registry: [{registry, mirrors = ["host[:port]", …]}]'},
  repository_selector: {kind: 'string', description: 'label expressions choosing the repositories your commands see (config.user.toml)'},
  'oci.cache.dir': {kind: 'string', description: 'content-addressed blob cache'},
  'oci.cache.index_ttl_seconds': {kind: 'integer', min: 0, description: 'search index lifetime'},
  'deps.lock_timeout_seconds': {kind: 'integer', min: 0, description: 'wait for the workspace lock'},
  'locking.provider': {kind: 'string', enum: ['none', 'file', 'gitea', 'etcd'], description: 'workspace lock provider'},
  'locking.owner': {kind: 'string', description: 'lock owner identity (empty: user@host)'},
  'locking.ttl_seconds': {kind: 'integer', min: 0, description: 'default lock lifetime (0 = none)'},
  'locking.etcd.endpoints': {kind: 'string[]', description: 'etcd endpoints (http://host:port)'},
  'locking.etcd.prefix': {kind: 'string', description: 'etcd key prefix for locks'},
  'locking.etcd.timeout_seconds': {kind: 'integer', min: 1, description: 'per-call etcd timeout'},
  'security.mtls.cert_file': {kind: 'string', description: 'client certificate (enterprise mTLS)'},
  'security.mtls.key_file': {kind: 'string', description: 'client key (enterprise mTLS)'},
  'security.mtls.ca_file': {kind: 'string', description: 'CA for peers (enterprise mTLS)'},
  'output.color': {kind: 'string', enum: ['auto', 'always', 'never'], description: 'colour in human output'},
}

export const OPEN_TABLES = ['mode', 'dependencies', 'platform', 'vars', 'infra', 'repositories']

/** Keys that must hold tables: the open tables and every parent of a known key. */
const KNOWN_TABLES = new Set([
  ...OPEN_TABLES,
  ...Object.keys(KNOWN_KEYS).flatMap((key) =>
    key
      .split('.')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
  ),
])

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? 'string[]' : value.every((v) => isTable(v)) ? 'table[]' : 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float'
  if (typeof value === 'bigint') return 'integer'
  if (value instanceof Date) return 'datetime'
  return typeof value
}

/** Type errors for known keys, warnings for unknown ones. */
export function checkSchema(values: ConfigTable, locate: (key: string) => {file?: string; line?: number}): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  // A known key holding a table has no leaf of its own, so it is checked up front; its
  // leaves are then skipped rather than reported as unknown keys.
  const tablesInPlace: string[] = []
  for (const [key, spec] of Object.entries(KNOWN_KEYS)) {
    const value = getPath(values, key)
    if (!isTable(value)) continue
    tablesInPlace.push(key)
    const [firstLeaf] = leaves(value, key)
    problems.push({
      severity: 'error',
      key,
      ...locate(firstLeaf?.[0] ?? key),
      message: `${key} must be ${article(spec.kind)}, got a table`,
      hint: `set ${key} to ${article(spec.kind)} (${spec.description})`,
    })
  }
  for (const [key, value] of leaves(values)) {
    if (tablesInPlace.some((table) => key.startsWith(`${table}.`))) continue
    const spec = KNOWN_KEYS[key]
    const where = locate(key)
    if (!spec) {
      if (KNOWN_TABLES.has(key)) {
        problems.push({
          severity: 'error',
          key,
          ...where,
          message: `${key} must be a table, got ${kindOf(value)}`,
          hint: `write ${key} as a table of keys (e.g. ${key}.<name> = value)`,
        })
        continue
      }
      if (OPEN_TABLES.some((table) => key === table || key.startsWith(`${table}.`))) continue
      problems.push({severity: 'warning', key, ...where, message: `unknown key ${key}`, hint: suggest(key)})
      continue
    }
    const actual = kindOf(value)
    const emptyList = Array.isArray(value) && value.length === 0 && spec.kind.endsWith('[]')
    if (actual !== spec.kind && !emptyList) {
      problems.push({
        severity: 'error',
        key,
        ...where,
        message: `${key} must be ${article(spec.kind)}, got ${actual} ${JSON.stringify(value)}`,
        hint: `set ${key} to ${article(spec.kind)} (${spec.description})`,
      })
      continue
    }
    if (spec.enum && !spec.enum.includes(value as string)) {
      problems.push({
        severity: 'error',
        key,
        ...where,
        message: `${key} must be one of ${spec.enum.join(', ')}, got ${JSON.stringify(value)}`,
        hint: `set ${key} to one of: ${spec.enum.join(', ')}`,
      })
    }
    if (spec.min !== undefined && typeof value === 'number' && value < spec.min) {
      problems.push({severity: 'error', key, ...where, message: `${key} must be at least ${spec.min}, got ${value}`, hint: `set ${key} to ${spec.min} or more`})
    }
  }
  return problems
}

function article(kind: ValueKind): string {
  return kind === 'string[]' ? 'a list of strings' : kind === 'table[]' ? 'a list of tables' : kind === 'integer' ? 'an integer' : `a ${kind}`
}

function suggest(key: string): string {
  const last = key.split('.').pop() ?? key
  const known = Object.keys(KNOWN_KEYS)
  // A key written outside its table (`color` for `output.color`) is meant, however far the whole path is.
  const close = known.find((candidate) => candidate.split('.').pop() === last) ?? closestMatch(key, known)
  return close ? `did you mean ${close}?` : 'unknown keys are ignored; remove it or check the spelling'
}
