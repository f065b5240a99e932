// The trust policy (SPEC §8.2a), read from the loaded config in one place: whether artifacts
// must be signed, by which public keys, and where (a registry, a namespace, one repository).
import path from 'node:path'

import type {LoadedConfig} from '../config/loader.js'
import {getPath} from '../config/merge.js'
import {isTable} from '../config/types.js'
import {ConfigError} from '../errors.js'
import {LAYOUT_SCHEME, type Location} from '../oci/reference.js'
import {expandHome} from '../util/home.js'

/** What one artifact's location requires, with the settings that decided it (messages name them). */
export interface ArtifactPolicy {
  verify: boolean
  /** Absolute paths of the trusted public keys (PEM). */
  keyFiles: string[]
  /** The setting that named the keys: `oci.trusted_keys`, or `oci.trust` (the scope's entry). */
  keysSetting: string
  /** The `oci.trust` scope that applied, when one did. */
  scope?: string
}

/** One `oci.trust` entry: what it sets for its scope (policyFor fills in the rest). */
interface ScopedRule {
  scope: string
  verify?: boolean
  keyFiles?: string[]
}

export interface TrustSettings {
  /** oci.verify_signatures and oci.trusted_keys. */
  global: ArtifactPolicy
  /** oci.trust, most specific scope first. */
  scopes: ScopedRule[]
  /** oci.signing_key: the private key `oci push --sign` uses when no --key is given. */
  signingKey?: string
  /** oci.require_signed_push: `oci push` refuses to publish without signing. */
  requireSignedPush: boolean
  /**
   * The mode that requires verification (`mode.registry.verify_signatures`, the enterprise
   * mode's): then every artifact is verified, whatever `oci.verify_signatures` or an `oci.trust`
   * scope says (a workspace config arriving in a pull request cannot turn it off).
   */
  requiredByMode?: string
}

const TRUST_LIST = 'oci.trust'
const SCOPE_FIELDS = new Set(['scope', 'verify_signatures', 'trusted_keys'])

/**
 * The `oci.*` trust settings of the merged config (values already interpolated). A relative key
 * path is relative to the folder of the config file that set it (a workspace's
 * `config/provisioning.yaml` names `../keys/team.pem`), or to the working folder when it came
 * from the environment or `--set`.
 */
export function trustSettingsFrom(config: LoadedConfig): TrustSettings {
  const value = (key: string) => getPath(config.values, key)
  const global: ArtifactPolicy = {
    verify: value('oci.verify_signatures') === true,
    keyFiles: keyPaths(config, 'oci.trusted_keys', value('oci.trusted_keys')),
    keysSetting: 'oci.trusted_keys',
  }
  const signingKey = value('oci.signing_key')
  const modeName = value('mode.name')
  return {
    ...(value('mode.registry.verify_signatures') === true ? {requiredByMode: typeof modeName === 'string' ? modeName : 'the active mode'} : {}),
    global,
    scopes: scopedRules(config),
    ...(typeof signingKey === 'string' && signingKey !== '' ? {signingKey: resolveSetPath(config, 'oci.signing_key', signingKey)} : {}),
    requireSignedPush: value('oci.require_signed_push') === true,
  }
}

/**
 * The policy for an artifact at `location`/`repository`: each setting from the most specific
 * matching scope that sets it, else from the global settings.
 */
export function policyFor(settings: TrustSettings, location: Location, repository: string): ArtifactPolicy {
  const where = artifactPlace(location, repository)
  const matching = settings.scopes.filter((r) => where === r.scope || where.startsWith(`${r.scope}/`))
  if (matching.length === 0) return settings.requiredByMode ? {...settings.global, verify: true} : settings.global
  const verifying = matching.find((r) => r.verify !== undefined)
  const keyed = matching.find((r) => r.keyFiles !== undefined)
  return {
    verify: settings.requiredByMode ? true : (verifying?.verify ?? settings.global.verify),
    keyFiles: keyed?.keyFiles ?? settings.global.keyFiles,
    keysSetting: keyed ? `the trusted_keys of the ${TRUST_LIST} entry for ${keyed.scope}` : settings.global.keysSetting,
    scope: matching[0].scope,
  }
}

/** Whether any artifact anywhere must be verified: when not, callers skip the policy entirely. */
export function verifiesAnywhere(settings: TrustSettings): boolean {
  return settings.requiredByMode !== undefined || settings.global.verify || settings.scopes.some((r) => r.verify === true)
}

/** `host[:port]/namespace/name` (host lower-cased), or `oci-layout://<root>/namespace/name`. */
function artifactPlace(location: Location, repository: string): string {
  const base = location.kind === 'remote' ? location.host.toLowerCase() : `${LAYOUT_SCHEME}${location.root}`
  return repository ? `${base}/${repository}` : base
}

/**
 * oci.trust: a list of `{scope, verify_signatures?, trusted_keys?}` (a list, not a table keyed
 * by scope: a scope's dots would read as key levels). Like any list, a higher layer's replaces
 * a lower one's whole.
 */
function scopedRules(config: LoadedConfig): ScopedRule[] {
  const list = getPath(config.values, TRUST_LIST)
  if (list === undefined) return []
  if (!Array.isArray(list)) throw invalidTrust(config, `${TRUST_LIST} must be a list of {scope, verify_signatures, trusted_keys}`)
  const seen = new Set<string>()
  const rules = list.map((rule: unknown, index): ScopedRule => {
    const at = `${TRUST_LIST}[${index}]`
    if (!isTable(rule)) throw invalidTrust(config, `${at} must be a table with a scope and verify_signatures and/or trusted_keys`)
    const unknown = Object.keys(rule).filter((field) => !SCOPE_FIELDS.has(field))
    if (unknown.length > 0) throw invalidTrust(config, `${at} has unknown field(s) ${unknown.join(', ')}`)
    if (typeof rule.scope !== 'string' || rule.scope === '') throw invalidTrust(config, `${at}.scope must name a registry, namespace or repository`)
    const scope = normalizeScope(config, at, rule.scope)
    if (seen.has(scope)) throw invalidTrust(config, `${at}: the scope ${scope} is listed twice`)
    seen.add(scope)
    if (rule.verify_signatures !== undefined && typeof rule.verify_signatures !== 'boolean')
      throw invalidTrust(config, `${at}.verify_signatures must be a boolean`)
    return {
      scope,
      ...(typeof rule.verify_signatures === 'boolean' ? {verify: rule.verify_signatures} : {}),
      ...(rule.trusted_keys === undefined ? {} : {keyFiles: keyPaths(config, TRUST_LIST, rule.trusted_keys, `${at}.trusted_keys`)}),
    }
  })
  // Longest first: the first match is the most specific scope.
  return rules.sort((a, b) => b.scope.length - a.scope.length)
}

/** `host[:port][/path]` (scheme and trailing slashes dropped, host lower-cased) or `oci-layout://ABSOLUTE`. */
function normalizeScope(config: LoadedConfig, at: string, raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, '')
  if (trimmed.startsWith(LAYOUT_SCHEME)) return `${LAYOUT_SCHEME}${resolveSetPath(config, TRUST_LIST, trimmed.slice(LAYOUT_SCHEME.length))}`
  const bare = trimmed.replace(/^(?:oci|https?):\/\//, '')
  const slash = bare.indexOf('/')
  const host = slash < 0 ? bare : bare.slice(0, slash)
  if (!/^[A-Za-z0-9.[\]:-]+$/.test(host) || bare.includes('//'))
    throw invalidTrust(config, `${at}.scope ${JSON.stringify(raw)} is not a scope (host[:port][/namespace[/name]] or oci-layout://PATH)`)
  return `${host.toLowerCase()}${slash < 0 ? '' : bare.slice(slash)}`
}

function keyPaths(config: LoadedConfig, originKey: string, value: unknown, shownKey = originKey): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== ''))
    throw invalidTrust(config, `${shownKey} must be a list of public key files (PEM)`, originKey)
  return (value as string[]).map((file) => resolveSetPath(config, originKey, file))
}

/** A path as the config file that set `key` means it (see trustSettingsFrom). */
function resolveSetPath(config: LoadedConfig, key: string, value: string): string {
  const expanded = expandHome(value)
  if (path.isAbsolute(expanded)) return path.normalize(expanded)
  const file = config.origins.get(key)?.at(-1)?.file
  return path.resolve(file ? path.dirname(file) : config.cwd, expanded)
}

function invalidTrust(config: LoadedConfig, message: string, key = TRUST_LIST): ConfigError {
  const file = config.origins.get(key)?.at(-1)?.file
  return new ConfigError(file ? `${message} (${file})` : message, {
    hint: `write it as ${TRUST_LIST} = [{scope = "registry.example.com/namespace", verify_signatures = true, trusted_keys = ["keys/team.pub.pem"]}]`,
    details: {key, ...(file ? {file} : {})},
  })
}
