import {randomBytes} from 'node:crypto'

import type {Descriptor} from '../../src/lib/oci/media-types.js'
import {MemoryStore} from '../../src/lib/oci/memory-store.js'
import type {ManifestContent} from '../../src/lib/oci/store.js'
import {sha256} from './oci-types.js'

export const IMAGE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const IMAGE_INDEX = 'application/vnd.oci.image.index.v1+json'

export function blob(data: Buffer, mediaType = 'application/octet-stream'): {descriptor: Descriptor; data: Buffer} {
  return {descriptor: {mediaType, digest: sha256(data), size: data.byteLength}, data}
}

export function document(value: unknown, mediaType: string): ManifestContent {
  const bytes = Buffer.from(JSON.stringify(value))
  return {descriptor: {mediaType, digest: sha256(bytes), size: bytes.byteLength}, bytes}
}

/** An image manifest over a config and layers of the given sizes (random content), all in `store`. */
export function addImage(store: MemoryStore, layerSizes: number[] = [64]): {manifest: ManifestContent; blobs: Descriptor[]} {
  const config = blob(Buffer.from(JSON.stringify({random: randomBytes(8).toString('hex')})), 'application/vnd.oci.image.config.v1+json')
  const layers = layerSizes.map((size) => blob(randomBytes(size), 'application/vnd.oci.image.layer.v1.tar+gzip'))
  for (const b of [config, ...layers]) store.addBlob(b.descriptor, b.data)
  const manifest = document({schemaVersion: 2, mediaType: IMAGE_MANIFEST, config: config.descriptor, layers: layers.map((l) => l.descriptor)}, IMAGE_MANIFEST)
  return {manifest, blobs: [config.descriptor, ...layers.map((l) => l.descriptor)]}
}

/** An index listing `children` (already in the store under their digests). */
export function indexOf(children: ManifestContent[]): ManifestContent {
  return document({schemaVersion: 2, mediaType: IMAGE_INDEX, manifests: children.map((c) => c.descriptor)}, IMAGE_INDEX)
}
