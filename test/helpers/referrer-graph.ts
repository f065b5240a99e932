import {randomBytes} from 'node:crypto'

import type {Descriptor} from '../../src/lib/oci/media-types.js'
import type {MemoryStore} from '../../src/lib/oci/memory-store.js'
import type {ContentStore, ManifestContent} from '../../src/lib/oci/store.js'
import {blob, document, IMAGE_MANIFEST} from './artifact-graph.js'

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
