import type {Descriptor} from '../media-types.js'
import {formatReference} from '../reference.js'
import {readArtifact, readExtensionConfig} from '../../artifact/artifact-reader.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface InspectResult {
  reference: string
  digest: string
  size: number
  mediaType: string
  artifactType?: string
  config: Descriptor
  layers: Descriptor[]
  annotations: Record<string, string>
  extension?: Record<string, unknown>
  /** OCI 1.1 referrers of the manifest (signatures…); none where the store cannot list them. */
  referrers: Descriptor[]
}

/** `oci inspect`: digest, size, media types, annotations, the extension manifest and the referrers. */
export async function inspectArtifact(options: OciOperationOptions & {reference: string}): Promise<InspectResult> {
  return withSession({...options, workspaceSource: 'fallback'}, async ({oci}) => {
    const artifact = await readArtifact(oci, oci.parse(options.reference))
    return {
      reference: formatReference(artifact.ref),
      digest: artifact.manifest.descriptor.digest,
      size: artifact.manifest.descriptor.size,
      mediaType: artifact.manifest.descriptor.mediaType,
      artifactType: artifact.image.artifactType ?? artifact.image.config?.mediaType,
      config: artifact.image.config,
      layers: artifact.image.layers ?? [],
      annotations: artifact.image.annotations ?? {},
      extension: await readExtensionConfig(artifact),
      referrers: (await artifact.store.listReferrers?.(artifact.ref.repository, artifact.manifest.descriptor.digest)) ?? [],
    }
  })
}
