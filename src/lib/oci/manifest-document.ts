import {IntegrityError} from '../errors.js'
import {isDigest} from './digest.js'
import type {Descriptor, ImageIndex, ImageManifest} from './media-types.js'

/**
 * The one place a manifest or index read from a store is turned into typed values (SPEC
 * §14: registry answers are hostile). Every descriptor's digest, size and mediaType are
 * checked here, so later code (the blob cache, URL building, size caps) can rely on a
 * digest being a sha256 string and a size a byte count; a malformed one is exit 8 naming
 * the field, never a TypeError (exit 1) somewhere downstream.
 */
export type ManifestDocument = {kind: 'index'; index: ImageIndex} | {kind: 'manifest'; manifest: ImageManifest}

function malformed(where: string, field: string, problem: string): IntegrityError {
  return new IntegrityError(`${where}: ${field} ${problem}`, {
    hint: 'the artifact is malformed or hostile; re-push it from a trusted source',
    details: {field},
  })
}

/** A descriptor whose digest is a sha256 digest, size a safe non-negative integer and mediaType a string. */
export function checkDescriptor(value: unknown, field: string, where: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(where, field, 'is not a descriptor object')
  const d = value as Record<string, unknown>
  if (!isDigest(d.digest)) throw malformed(where, `${field}.digest`, 'is not a sha256 digest')
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    throw malformed(where, `${field}.size`, 'is not a non-negative integer byte count')
  if (typeof d.mediaType !== 'string') throw malformed(where, `${field}.mediaType`, 'is not a string')
  return value as Descriptor
}

/**
 * Parses manifest bytes (already verified against their digest) into an index or an image
 * manifest, checking every descriptor. `isIndexType`: the store said it is an index.
 */
export function parseManifestDocument(bytes: Buffer, where: string, isIndexType = false): ManifestDocument {
  let data: unknown
  try {
    data = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw new IntegrityError(`${where}: the manifest is not valid JSON (${(error as Error).message})`, {hint: 're-push the artifact'})
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw malformed(where, 'the manifest', 'is not a JSON object')
  const doc = data as Record<string, unknown>
  if (isIndexType || 'manifests' in doc) {
    if (!Array.isArray(doc.manifests)) throw malformed(where, 'manifests', 'is not a list')
    doc.manifests.forEach((child, i) => checkDescriptor(child, `manifests[${i}]`, where))
    return {kind: 'index', index: data as ImageIndex}
  }
  checkDescriptor(doc.config, 'config', where)
  if (doc.layers !== undefined && !Array.isArray(doc.layers)) throw malformed(where, 'layers', 'is not a list')
  doc.layers ??= []
  ;(doc.layers as unknown[]).forEach((layer, i) => checkDescriptor(layer, `layers[${i}]`, where))
  return {kind: 'manifest', manifest: data as ImageManifest}
}
