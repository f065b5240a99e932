import {resolveSourceDateEpoch} from '../extension/package.js'
import {type BlobBody, bodySize} from '../util/blob-body.js'
import {sha256} from '../oci/digest.js'
import {canonicalJson} from '../util/canonical-json.js'
import {Annotation, type Descriptor, type ImageManifest, MediaType} from '../oci/media-types.js'
import type {ManifestContent} from '../oci/store.js'

/** What packaging an extension folder produces (src/lib/extension/package.ts). */
export interface ArtifactManifestFields {
  name: string
  version: string
  description?: string
  license?: string
  repository?: string
  homepage?: string
  author?: string
}

export interface PackagedArtifactInput {
  /** The extension manifest; it becomes the config blob as canonical JSON. */
  manifest: ArtifactManifestFields
  fileName: string
  /** The layer: in memory or a file (a spooled package). */
  data: BlobBody
  /** The layer's digest, computed while it was packaged (never hashed twice). */
  digest: string
}

export interface BuiltArtifact {
  manifest: ManifestContent
  config: {descriptor: Descriptor; data: Buffer}
  layer: {descriptor: Descriptor; data: BlobBody}
}

/** `created` from SOURCE_DATE_EPOCH, else the Unix epoch (SPEC §8.2: reproducible). */
export function createdTimestamp(env: NodeJS.ProcessEnv = process.env): string {
  return new Date(resolveSourceDateEpoch(undefined, env) * 1000).toISOString().replace(/\.000Z$/, 'Z')
}

/**
 * The OCI artifact of SPEC §8.2: an image manifest with artifactType, the extension
 * manifest as JSON config, one tar+gzip layer with its title, and OCI annotations.
 */
export function buildExtensionArtifact(input: PackagedArtifactInput, created = createdTimestamp()): BuiltArtifact {
  const configData = Buffer.from(canonicalJson(input.manifest))
  const config: Descriptor = {mediaType: MediaType.extensionConfig, digest: sha256(configData), size: configData.byteLength}
  const layer: Descriptor = {
    mediaType: MediaType.layerTarGzip,
    digest: input.digest,
    size: bodySize(input.data),
    annotations: {[Annotation.title]: input.fileName},
  }
  const m = input.manifest
  const annotations: Record<string, string> = {[Annotation.created]: created, [Annotation.title]: m.name, [Annotation.version]: m.version}
  if (m.description) annotations[Annotation.description] = m.description
  if (m.license) annotations[Annotation.licenses] = m.license
  if (m.repository ?? m.homepage) annotations[Annotation.source] = String(m.repository ?? m.homepage)
  if (m.author) annotations[Annotation.authors] = m.author
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    artifactType: MediaType.extensionArtifact,
    config,
    layers: [layer],
    annotations: Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => a.localeCompare(b))),
  }
  const bytes = Buffer.from(JSON.stringify(manifest))
  return {
    manifest: {
      descriptor: {mediaType: MediaType.imageManifest, digest: sha256(bytes), size: bytes.byteLength, artifactType: MediaType.extensionArtifact},
      bytes,
    },
    config: {descriptor: config, data: configData},
    layer: {descriptor: layer, data: input.data},
  }
}
