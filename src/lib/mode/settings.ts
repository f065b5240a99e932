// The mode area's settings: the one place outside config/ where `mode.*` keys are read, with
// the settings a mode's requirements are checked against.
import {getPath} from '../config/merge.js'
import type {ConfigTable} from '../config/types.js'

/** A value as people read it in a summary or a message: '' when unset. */
function text(values: ConfigTable, key: string): string {
  const value = getPath(values, key)
  return value === undefined ? '' : String(value)
}

/** What a mode asks for (its `mode.*` table). */
export interface ModePolicy {
  description: string
  authenticationMethod: string
  tokenTtl: string
  deploymentTarget: string
  registryKind: string
  registryTls: boolean
  registryCredentials: boolean
  registrySignatures: boolean
  lockingProvider: string
  /** mode.locking.required when it is a boolean. */
  lockingRequired?: boolean
  limits: unknown
}

export function modePolicyFrom(values: ConfigTable): ModePolicy {
  const required = getPath(values, 'mode.locking.required')
  return {
    description: text(values, 'mode.description'),
    authenticationMethod: text(values, 'mode.authentication.method'),
    tokenTtl: text(values, 'mode.authentication.token_ttl'),
    deploymentTarget: text(values, 'mode.deployment.target'),
    registryKind: text(values, 'mode.registry.kind'),
    registryTls: getPath(values, 'mode.registry.tls_enabled') === true,
    registryCredentials: getPath(values, 'mode.registry.credentials_required') === true,
    registrySignatures: getPath(values, 'mode.registry.verify_signatures') === true,
    lockingProvider: text(values, 'mode.locking.provider'),
    ...(typeof required === 'boolean' ? {lockingRequired: required} : {}),
    limits: getPath(values, 'mode.limits'),
  }
}

/** The effective settings a mode's requirements are checked against. */
export interface RequirementSettings {
  registry: string
  /** oci.tls_enabled and oci.verify_signatures as set (messages quote them). */
  tlsEnabled: unknown
  verifySignatures: unknown
  authTokenPath: string
  lockingProvider: string
  /** security.mtls.{cert_file,key_file,ca_file}. */
  mtlsFile: (key: 'cert_file' | 'key_file' | 'ca_file') => string
}

export function requirementSettingsFrom(values: ConfigTable): RequirementSettings {
  return {
    registry: text(values, 'oci.registry'),
    tlsEnabled: getPath(values, 'oci.tls_enabled'),
    verifySignatures: getPath(values, 'oci.verify_signatures'),
    authTokenPath: text(values, 'oci.auth_token_path'),
    lockingProvider: text(values, 'locking.provider'),
    mtlsFile: (key) => text(values, `security.mtls.${key}`),
  }
}
