import {ConfigError, IntegrityError, ResolutionError} from '../errors.js'
import {type ExtensionManifest, parseManifest, relationMap} from '../extension/manifest-schema.js'
import {errorsOf, type Problem} from '../extension/problems.js'
import {tagVersion} from '../oci/versions.js'
import type {CandidateVersion} from './types.js'

/**
 * Where extension metadata was read: a registry or layout store (someone else's content,
 * exit 8 when it is malformed) or a local source folder (the user's files, exit 3).
 */
export type MetadataOrigin = 'registry' | 'local'

/** A problem line for a message: untrusted values can be megabytes long. */
const shortLine = (problem: Problem) => {
  const line = `${problem.field}: ${problem.message}`
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

/** Malformed metadata, with the exit code its origin calls for, naming the source and every field. */
export function invalidMetadata(where: string, origin: MetadataOrigin, problems: readonly Problem[]): Error {
  const lines = errorsOf(problems).map(shortLine)
  const shown = lines.slice(0, 20).map((l) => `  - ${l}`)
  if (lines.length > shown.length) shown.push(`  … and ${lines.length - shown.length} more`)
  const message = `${where} has invalid extension metadata:\n${shown.join('\n')}`
  const details = {where, problems: lines.slice(0, 100)}
  return origin === 'registry'
    ? new IntegrityError(message, {hint: 'nothing was installed; the artifact was published with a malformed or hostile manifest: do not use it, and ask its publisher to re-publish it (check with "provisioning oci package validate")', details})
    : new ConfigError(message, {hint: `fix its manifest.yaml ("provisioning oci package validate ${where.replace(/\/manifest\.yaml$/, '')}" lists the problems)`, details})
}


/**
 * The trust boundary for extension metadata read from a store (config blob) or a local
 * source: the whole manifest is checked with the manifest schema (names, the three types,
 * versions, ranges, relation names) before any of it becomes a request, a path or a
 * resolver constraint.
 */
export function candidateFromUntrusted(data: unknown, expected: {name: string; tag: string; where: string}, origin: MetadataOrigin): CandidateVersion {
  const {manifest, problems} = parseManifest(data)
  if (!manifest) throw invalidMetadata(expected.where, origin, problems)
  return candidateFrom(manifest, expected)
}

/**
 * A candidate from a checked manifest, checked against what it was found as: an artifact
 * whose name or version disagrees with its reference is refused, since resolving it would
 * install something else than the lock says.
 */
export function candidateFrom(manifest: ExtensionManifest, expected: {name: string; tag: string; where: string}): CandidateVersion {
  const version = tagVersion(expected.tag)
  if (manifest.name !== expected.name) {
    throw new ResolutionError(`${expected.where} declares name "${manifest.name}", but was found as "${expected.name}"`, {
      hint: 're-publish it under its own name, or fix its manifest.yaml',
      details: {expected: expected.name, actual: manifest.name, where: expected.where},
    })
  }
  if (!version || tagVersion(manifest.version) !== version) {
    throw new ResolutionError(`${expected.where} declares version "${manifest.version}", but is tagged "${expected.tag}"`, {
      hint: 're-publish it with the tag of its manifest version',
      details: {tag: expected.tag, version: manifest.version, where: expected.where},
    })
  }
  return {
    name: expected.name,
    version,
    tag: expected.tag,
    type: manifest.type,
    dependencies: relationMap(manifest.dependencies),
    optional: relationMap(manifest.optional),
    conflicts: relationMap(manifest.conflicts),
    ...(manifest.min_provisioning_version ? {minProvisioningVersion: manifest.min_provisioning_version} : {}),
  }
}
