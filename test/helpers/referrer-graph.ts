import {randomBytes} from 'node:crypto'

import type {Descriptor} from '../../src/lib/oci/media-types.js'
import type {MemoryStore} from '../../src/lib/oci/memory-store.js'
import type {ContentStore, ManifestContent} from '../../src/lib/oci/store.js'
import {addImage, blob, document, IMAGE_INDEX, IMAGE_MANIFEST} from './artifact-graph.js'

/** cosign 3's signature layout: a Sigstore bundle referring to the signed manifest. */
export const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'
export const PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType'

/** The OCI empty descriptor (`{}`), the config of an artifact that has none. */
export const EMPTY_CONFIG = blob(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json')

export interface BuiltReferrer {
  manifest: ManifestContent
  blobs: Descriptor[]
}

/**
 * A referrer manifest built by hand (signing is not needed to test the plumbing): the empty
 * config and one layer of random content of `artifactType`, whose subject is `subject`.
 */
export function addReferrer(
  store: MemoryStore,
  subject: ManifestContent,
  artifactType = BUNDLE_TYPE,
  annotations: Record<string, string> = {[PREDICATE_ANNOTATION]: 'https://slsa.dev/provenance/v1'},
): BuiltReferrer {
  const layer = blob(Buffer.from(JSON.stringify({bundle: randomBytes(16).toString('hex')})), artifactType)
  store.addBlob(EMPTY_CONFIG.descriptor, EMPTY_CONFIG.data)
  store.addBlob(layer.descriptor, layer.data)
  const {mediaType, digest, size} = subject.descriptor
  const manifest = document(
    {
      schemaVersion: 2,
      mediaType: IMAGE_MANIFEST,
      artifactType,
      config: EMPTY_CONFIG.descriptor,
      layers: [layer.descriptor],
      subject: {mediaType, digest, size},
      annotations,
    },
    IMAGE_MANIFEST,
  )
  store.addManifest(manifest, manifest.descriptor.digest)
  return {manifest, blobs: [EMPTY_CONFIG.descriptor, layer.descriptor]}
}

/**
 * A referrer that is an image index (OCI 1.1 lets an index carry a subject, e.g. an SBOM per
 * platform): it lists one image of its own, pushed before it by pushIndexReferrer.
 */
export function addIndexReferrer(store: MemoryStore, subject: ManifestContent, artifactType = 'application/spdx+json'): BuiltReferrer & {child: BuiltReferrer} {
  const child = addImage(store)
  store.addManifest(child.manifest, child.manifest.descriptor.digest)
  const {mediaType, digest, size} = subject.descriptor
  const manifest = document(
    {schemaVersion: 2, mediaType: IMAGE_INDEX, artifactType, manifests: [child.manifest.descriptor], subject: {mediaType, digest, size}},
    IMAGE_INDEX,
  )
  store.addManifest(manifest, manifest.descriptor.digest)
  return {manifest, blobs: [], child}
}

/** Pushes an index referrer: its image first, then the index. */
export async function pushIndexReferrer(
  store: ContentStore,
  repository: string,
  built: MemoryStore,
  referrer: BuiltReferrer & {child: BuiltReferrer},
): Promise<void> {
  await pushBuilt(store, repository, built, referrer.child)
  await pushBuilt(store, repository, built, referrer)
}

/** Pushes a built manifest's blobs from `built`, then the manifest itself (under `tag` when given). */
export async function pushBuilt(
  store: ContentStore,
  repository: string,
  built: MemoryStore,
  graph: {manifest: ManifestContent; blobs: Descriptor[]},
  tag?: string,
): Promise<void> {
  for (const b of graph.blobs) await store.pushBlob(repository, b, await built.fetchBlob(repository, b))
  await store.pushManifest(repository, graph.manifest, tag)
}
