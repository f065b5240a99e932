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
export const shortLine = (problem: Problem) => {
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
    ? new IntegrityError(message, {
        hint: 'nothing was installed; the artifact was published with a malformed or hostile manifest: do not use it, and ask its publisher to re-publish it (check with "provisioning oci package validate")',
        details,
      })
    : new ConfigError(message, {
        hint: `fix its manifest.yaml ("provisioning oci package validate ${where.replace(/\/manifest\.yaml$/, '')}" lists the problems)`,
        details,
      })
}

/** A manifest file of a local source and everything wrong with it. */
export interface InvalidManifest {
  where: string
  problems: readonly Problem[]
  /** The extension name its folder gives, when the folder was readable. */
  name?: string
}

/** Files listed in a message; the rest are counted (details carry up to 100). */
const MAX_FILES_SHOWN = 20
/** Problem lines per file when several files are listed. */
const MAX_LINES_PER_FILE = 5

/**
 * Every malformed manifest of a local source at once (exit 3), so one run shows what to fix:
 * one file keeps invalidMetadata's shape; several are listed (up to 20) with their reasons.
 */
export function invalidLocalManifests(source: string, invalid: readonly InvalidManifest[]): Error {
  if (invalid.length === 1) return invalidMetadata(invalid[0].where, 'local', invalid[0].problems)
  const files = invalid.map(({where, problems}) => ({where, problems: errorsOf(problems).map(shortLine)}))
  const shown = files
    .slice(0, MAX_FILES_SHOWN)
    .flatMap(({where, problems}) => [
      `  ${where}:`,
      ...problems.slice(0, MAX_LINES_PER_FILE).map((l) => `    - ${l}`),
      ...(problems.length > MAX_LINES_PER_FILE ? [`    … and ${problems.length - MAX_LINES_PER_FILE} more`] : []),
    ])
  if (files.length > MAX_FILES_SHOWN) shown.push(`  … and ${files.length - MAX_FILES_SHOWN} more file(s)`)
  return new ConfigError(`${files.length} manifests of the local extension source ${source} are invalid:\n${shown.join('\n')}`, {
    hint: 'fix each manifest.yaml ("provisioning oci package validate DIR" lists the problems of one extension folder)',
    details: {source, invalid: files.length, files: files.slice(0, 100).map((f) => ({where: f.where, problems: f.problems.slice(0, 20)}))},
  })
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
