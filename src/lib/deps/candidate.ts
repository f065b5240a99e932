import {ResolutionError} from '../errors.js'
import {tagVersion} from '../oci/versions.js'
import type {CandidateVersion} from './types.js'

type Relation = Record<string, unknown> | unknown[] | undefined

/** `optional`/`conflicts` may be a map name -> range or a list of names (any version). */
function relationMap(value: Relation, where: string, field: string): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (Array.isArray(value)) return Object.fromEntries(value.map((name) => [String(name), '*']))
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, range]) => [name, String(range)]))
  throw new ResolutionError(`${where}: "${field}" must be a map or a list`, {hint: 're-publish the extension with a valid manifest.yaml ("provisioning oci package validate")'})
}

/**
 * A candidate from an extension manifest (config blob or manifest.yaml), checked against
 * what it was found as: an artifact whose name or version disagrees with its reference is
 * refused, since resolving it would install something else than the lock says.
 */
export function candidateFrom(manifest: Record<string, unknown>, expected: {name: string; tag: string; where: string}): CandidateVersion {
  const version = tagVersion(expected.tag)
  if (manifest.name !== expected.name) {
    throw new ResolutionError(`${expected.where} declares name "${String(manifest.name)}", but was found as "${expected.name}"`, {
      hint: 're-publish it under its own name, or fix its manifest.yaml',
      details: {expected: expected.name, actual: manifest.name, where: expected.where},
    })
  }
  if (!version || tagVersion(String(manifest.version)) !== version) {
    throw new ResolutionError(`${expected.where} declares version "${String(manifest.version)}", but is tagged "${expected.tag}"`, {
      hint: 're-publish it with the tag of its manifest version',
      details: {tag: expected.tag, version: manifest.version, where: expected.where},
    })
  }
  return {
    name: expected.name,
    version,
    tag: expected.tag,
    type: typeof manifest.type === 'string' ? manifest.type : undefined,
    dependencies: relationMap(manifest.dependencies as Relation, expected.where, 'dependencies'),
    optional: relationMap(manifest.optional as Relation, expected.where, 'optional'),
    conflicts: relationMap(manifest.conflicts as Relation, expected.where, 'conflicts'),
    ...(typeof manifest.min_provisioning_version === 'string' ? {minProvisioningVersion: manifest.min_provisioning_version} : {}),
  }
}
