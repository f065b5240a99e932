import {IntegrityError} from '../errors.js'
import {digestHex, isDigest} from './digest.js'
import {MAX_DOCUMENT_BYTES} from './limits.js'
import {checkDescriptor} from './manifest-document.js'
import {type Descriptor, type ImageIndex, MediaType} from './media-types.js'
import type {ManifestContent} from './store.js'
import {isPlainTable} from '../util/json-exact.js'

/**
 * OCI 1.1 referrers (distribution spec "Listing Referrers" and "Referrers Tag Schema"): the
 * manifests whose `subject` names another manifest (a signature names what it signs). What
 * every store shares: the fallback tag, reading a referrers index from outside, adding to one.
 */

/**
 * Entries one referrers index may list. A subject with thousands of signatures and
 * attestations is already unusual; 10,000 descriptors are ~2 MiB of JSON, under the
 * document cap, so this bound is reached before the size one only by a hostile index.
 */
export const MAX_REFERRERS = 10_000

/**
 * How many levels of referrers are followed (copied along, deleted along): a signature of the
 * artifact is one, an attestation about that signature two. Nothing real goes deeper; the
 * bound (with the visited set) keeps a hostile chain from going on for ever.
 */
export const MAX_REFERRER_DEPTH = 4

/**
 * Referrers one walk of a subject's referrers (copy, delete) fetches in all, every level and
 * every listed entry counted, also one that turns out not to name the subject: signatures,
 * attestations and SBOMs of one artifact are a handful; without a total, 4 levels of
 * 10,000-entry listings would be endless.
 */
export const MAX_REFERRER_CLOSURE = 1_000

/** The referrers tag schema's tag for a subject: `sha256-<hex>` (the `:` is not allowed in a tag). */
export function referrersTag(subjectDigest: string): string {
  return `sha256-${digestHex(subjectDigest)}`
}

/** Whether a tag is a referrers tag (`sha256-<64 hex>`): the registry's bookkeeping, not a version anyone pushed. */
export function isReferrersTag(tag: string): boolean {
  return /^sha256-[0-9a-f]{64}$/.test(tag)
}

export function emptyReferrersIndex(): ImageIndex {
  return {schemaVersion: 2, mediaType: MediaType.imageIndex, manifests: []}
}

/** What a manifest refers to, and its descriptor as a referrers index lists it; undefined when it has no subject. */
export interface ReferrerOf {
  subject: string
  descriptor: Descriptor
}

/**
 * The subject of a manifest and its entry in a referrers list: mediaType, digest and size of
 * the manifest, its artifactType (the config's mediaType when it has none, as the spec asks
 * of registries) and its annotations. `manifest.bytes` are verified content; a subject that
 * is not a sha256 digest is no subject (the manifest is stored as a plain one).
 */
export function referrerOf(manifest: ManifestContent): ReferrerOf | undefined {
  let document: unknown
  try {
    document = JSON.parse(manifest.bytes.toString('utf8'))
  } catch {
    return undefined
  }
  if (!isPlainTable(document) || !isPlainTable(document.subject) || !isDigest(document.subject.digest)) return undefined
  const {mediaType, digest, size} = manifest.descriptor
  const config = isPlainTable(document.config) ? document.config : {}
  const artifactType = typeof document.artifactType === 'string' ? document.artifactType : typeof config.mediaType === 'string' ? config.mediaType : undefined
  const annotations = stringRecord(document.annotations)
  return {
    subject: document.subject.digest,
    descriptor: {mediaType, digest, size, ...(artifactType ? {artifactType} : {}), ...(annotations ? {annotations} : {})},
  }
}

/**
 * A referrers index read from outside (a registry's referrers API or `sha256-<hex>` tag):
 * at most MAX_DOCUMENT_BYTES, an image index, at most MAX_REFERRERS entries, each a well-formed
 * descriptor whose artifactType is a string and annotations strings. `where` names the
 * source (registry and repository) for the message: exit 8, the registry lied.
 */
export function parseReferrersIndex(bytes: Buffer, where: string, declaredMediaType?: string): ImageIndex {
  const refuse = (problem: string, details: Record<string, unknown> = {}) => referrersIndexProblem(where, problem, details)
  if (bytes.byteLength > MAX_DOCUMENT_BYTES) throw refuse(`has ${bytes.byteLength} bytes, more than ${MAX_DOCUMENT_BYTES}`, {bytes: bytes.byteLength})
  let document: unknown
  try {
    document = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw refuse('is not JSON')
  }
  if (!isPlainTable(document)) throw refuse('is not a JSON object')
  const mediaType = declaredMediaType ?? document.mediaType
  if (mediaType !== MediaType.imageIndex) throw refuse(`has the media type ${JSON.stringify(mediaType)}, not ${MediaType.imageIndex}`, {mediaType})
  if (!Array.isArray(document.manifests)) throw refuse('has no "manifests" list')
  if (document.manifests.length > MAX_REFERRERS) throw tooManyReferrers(where, document.manifests.length)
  const manifests = document.manifests.map((entry, i) => {
    const descriptor = checkDescriptor(entry, `manifests[${i}]`, `${where}: the referrers index`)
    if (descriptor.artifactType !== undefined && typeof descriptor.artifactType !== 'string')
      throw refuse(`has a manifests[${i}].artifactType that is not a string`)
    if (descriptor.annotations !== undefined && !stringRecord(descriptor.annotations)) throw refuse(`has manifests[${i}].annotations that are not strings`)
    return descriptor
  })
  return {schemaVersion: 2, mediaType: MediaType.imageIndex, manifests}
}

/** A referrers listing (one index, or the pages of one answer together; or a walk's total) longer than `limit`: exit 8. */
export function tooManyReferrers(where: string, count: number, limit = MAX_REFERRERS): IntegrityError {
  return referrersIndexProblem(where, `lists ${count} referrers, more than ${limit}`, {count, limit})
}

function referrersIndexProblem(where: string, problem: string, details: Record<string, unknown>): IntegrityError {
  return new IntegrityError(`${where}: the referrers index ${problem}`, {
    hint: 'the registry is misbehaving or hostile; report it to the registry operator (no referrer was used)',
    details: {where, ...details},
  })
}

/** The index with `referrer` added, replacing an entry of the same digest; `changed` is false when it was there as is. */
export function withReferrer(index: ImageIndex, referrer: Descriptor): {index: ImageIndex; changed: boolean} {
  const current = index.manifests.find((m) => m.digest === referrer.digest)
  if (current && JSON.stringify(current) === JSON.stringify(referrer)) return {index, changed: false}
  return {index: {...index, manifests: [...index.manifests.filter((m) => m.digest !== referrer.digest), referrer]}, changed: true}
}

/** Only the referrers of `artifactType`, when one is given. */
export function ofArtifactType(referrers: Descriptor[], artifactType?: string): Descriptor[] {
  return artifactType === undefined ? referrers : referrers.filter((r) => r.artifactType === artifactType)
}

/** Annotations as the OCI specs define them: a map of strings; undefined for anything else. */
export function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isPlainTable(value)) return undefined
  return Object.values(value).every((v) => typeof v === 'string') ? (value as Record<string, string>) : undefined
}
