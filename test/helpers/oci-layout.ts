import {createHash} from 'node:crypto'
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {type TarEntry, tarGz} from './tar.js'

/** Writes a one-manifest OCI image layout by hand (no tool involved). */
export interface OciLayoutOptions {
  /** Tag recorded as org.opencontainers.image.ref.name in index.json (default 'latest'). */
  tag?: string
  /** Config blob: an object (serialised as JSON) or raw text (default `{}`). */
  config?: object | string
  configMediaType?: string
  artifactType?: string
  /** Layer content (default one small file). */
  layer?: TarEntry[]
  layerAnnotations?: Record<string, string>
  annotations?: Record<string, string>
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
}

export interface OciLayout {
  dir: string
  tag: string
  manifest: Record<string, unknown>
  manifestBytes: Buffer
  manifestDigest: string
  config: Descriptor
  layer: Descriptor
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`

async function writeBlob(dir: string, data: Buffer): Promise<string> {
  const digest = sha256(data)
  await writeFile(path.join(dir, 'blobs', 'sha256', digest.slice(7)), data)
  return digest
}

export async function writeOciLayout(dir: string, options: OciLayoutOptions = {}): Promise<OciLayout> {
  const tag = options.tag ?? 'latest'
  await mkdir(path.join(dir, 'blobs', 'sha256'), {recursive: true})
  const configBytes = Buffer.from(typeof options.config === 'string' ? options.config : JSON.stringify(options.config ?? {}))
  const layerBytes = tarGz(options.layer ?? [{name: 'hello.txt', content: 'hello from a test layer\n'}])
  const config: Descriptor = {mediaType: options.configMediaType ?? OCI_CONFIG, digest: await writeBlob(dir, configBytes), size: configBytes.length}
  const layer: Descriptor = {mediaType: OCI_LAYER_GZIP, digest: await writeBlob(dir, layerBytes), size: layerBytes.length}
  if (options.layerAnnotations) layer.annotations = options.layerAnnotations
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(options.artifactType ? {artifactType: options.artifactType} : {}),
    config,
    layers: [layer],
    ...(options.annotations ? {annotations: options.annotations} : {}),
  }
  const manifestBytes = Buffer.from(JSON.stringify(manifest))
  const manifestDigest = await writeBlob(dir, manifestBytes)
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{mediaType: OCI_MANIFEST, digest: manifestDigest, size: manifestBytes.length, annotations: {'org.opencontainers.image.ref.name': tag}}],
  }
  await writeFile(path.join(dir, 'index.json'), JSON.stringify(index))
  return {dir, tag, manifest, manifestBytes, manifestDigest, config, layer}
}
