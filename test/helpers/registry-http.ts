import {OCI_LAYER_GZIP, OCI_MANIFEST, sha256} from './oci-layout.js'
import {type TarEntry, tarGz} from './tar.js'

/**
 * Raw distribution-API calls with fetch, to seed or probe a registry in tests without the
 * code under test. `base` is the registry (or proxy) URL; `headers` may carry Authorization.
 */
export type Headers = Record<string, string>

async function expectStatus(res: Response, expected: number, what: string): Promise<void> {
  if (res.status !== expected) throw new Error(`${what}: HTTP ${res.status} (expected ${expected}): ${await res.text()}`)
}

/** Monolithic upload: POST /blobs/uploads/ then PUT to its Location with ?digest=. */
export async function pushBlob(base: string, repo: string, data: Buffer | string, headers: Headers = {}): Promise<string> {
  const digest = sha256(data)
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, {method: 'POST', headers})
  await expectStatus(start, 202, `POST upload ${repo}`)
  const location = new URL(start.headers.get('location')!, base)
  location.searchParams.set('digest', digest)
  const put = await fetch(location, {method: 'PUT', body: data, headers: {...headers, 'content-type': 'application/octet-stream'}})
  await expectStatus(put, 201, `PUT upload ${repo}`)
  return digest
}

/** PUT a manifest under a tag or digest; returns the registry's Docker-Content-Digest. */
export async function putManifest(
  base: string,
  repo: string,
  reference: string,
  manifest: object | Buffer,
  mediaType = OCI_MANIFEST,
  headers: Headers = {},
): Promise<string> {
  const body = Buffer.isBuffer(manifest) ? manifest : Buffer.from(JSON.stringify(manifest))
  const res = await fetch(`${base}/v2/${repo}/manifests/${reference}`, {method: 'PUT', body, headers: {...headers, 'content-type': mediaType}})
  await expectStatus(res, 201, `PUT manifest ${repo}:${reference}`)
  return res.headers.get('docker-content-digest')!
}

export interface ArtifactOptions {
  config: object | string
  configMediaType: string
  artifactType?: string
  layer?: TarEntry[]
  layerAnnotations?: Record<string, string>
  annotations?: Record<string, string>
  headers?: Headers
}

/** Pushes config blob, one tar.gz layer and an OCI manifest; returns the manifest and its digest. */
export async function pushArtifact(base: string, repo: string, tag: string, options: ArtifactOptions) {
  const headers = options.headers ?? {}
  const configBytes = Buffer.from(typeof options.config === 'string' ? options.config : JSON.stringify(options.config))
  const layerBytes = tarGz(options.layer ?? [{name: 'hello.txt', content: 'hello\n'}])
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(options.artifactType ? {artifactType: options.artifactType} : {}),
    config: {mediaType: options.configMediaType, digest: await pushBlob(base, repo, configBytes, headers), size: configBytes.length},
    layers: [
      {
        mediaType: OCI_LAYER_GZIP,
        digest: await pushBlob(base, repo, layerBytes, headers),
        size: layerBytes.length,
        ...(options.layerAnnotations ? {annotations: options.layerAnnotations} : {}),
      },
    ],
    ...(options.annotations ? {annotations: options.annotations} : {}),
  }
  const bytes = Buffer.from(JSON.stringify(manifest))
  const digest = await putManifest(base, repo, tag, bytes, OCI_MANIFEST, headers)
  return {manifest, bytes, digest}
}
