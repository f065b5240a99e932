import {mkdtemp, readFile, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {OCI_MANIFEST, sha256} from '../helpers/oci-layout.js'
import {useRegistry} from '../helpers/registry.js'
import {pushArtifact, pushBlob, putManifest} from '../helpers/registry-http.js'
import {skopeoCopy, skopeoInspectRaw} from '../helpers/skopeo.js'

/**
 * What the Debian registry (distribution 2.8) actually does, pinned down as executable facts
 * for the OCI client: artifact acceptance, Location forms, pagination, mount and delete.
 */
const EXTENSION = {
  configMediaType: 'application/vnd.provisioning.extension.config.v1+json',
  artifactType: 'application/vnd.provisioning.extension.v1',
}
const ACCEPT_OCI = {accept: OCI_MANIFEST}

describe('registry behaviour (distribution 2.8)', () => {
  const registry = useRegistry()
  const base = () => registry().url
  let scratch: string
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'prov-behaviour-'))
  })
  afterAll(async () => {
    await rm(scratch, {recursive: true, force: true})
  })

  it('accepts an extension artifact (artifactType, custom config media type) and serves it byte for byte', async () => {
    const pushed = await pushArtifact(base(), 'ext/demo', '1.0.0', {
      ...EXTENSION,
      config: {name: 'demo', type: 'provider', version: '1.0.0'},
      layerAnnotations: {'org.opencontainers.image.title': 'demo-1.0.0.tar.gz'},
      annotations: {'org.opencontainers.image.version': '1.0.0'},
    })
    expect(pushed.digest).toBe(sha256(pushed.bytes))
    const res = await fetch(`${base()}/v2/ext/demo/manifests/1.0.0`, {headers: ACCEPT_OCI})
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(OCI_MANIFEST)
    expect(res.headers.get('docker-content-digest')).toBe(pushed.digest)
    expect(Buffer.from(await res.arrayBuffer())).toEqual(pushed.bytes)
    // skopeo reads it unchanged and copies it into an OCI layout, config media type intact.
    const raw = await skopeoInspectRaw(`docker://${registry().host}/ext/demo:1.0.0`)
    expect(sha256(raw)).toBe(pushed.digest)
    const out = path.join(scratch, 'layout')
    await skopeoCopy(`docker://${registry().host}/ext/demo:1.0.0`, `oci:${out}:1.0.0`, {src: {tlsVerify: false}})
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8'))
    expect(index.manifests[0].digest).toBe(pushed.digest)
  })

  it('hides an OCI manifest from GETs whose Accept lacks the OCI type (404 MANIFEST_UNKNOWN)', async () => {
    const res = await fetch(`${base()}/v2/ext/demo/manifests/1.0.0`)
    expect(res.status).toBe(404)
    expect(await res.text()).toMatch(/MANIFEST_UNKNOWN.*accept header does not support OCI/)
  })

  it('requires the exact manifest Content-Type and existing blobs', async () => {
    const {bytes} = await pushArtifact(base(), 'ext/ct', '1.0.0', {...EXTENSION, config: {}})
    await expect(putManifest(base(), 'ext/ct', 'x', bytes, 'application/json')).rejects.toThrow(/400.*MANIFEST_INVALID/)
    const foreign = JSON.parse(bytes.toString())
    foreign.layers[0].digest = `sha256:${'1'.repeat(64)}`
    await expect(putManifest(base(), 'ext/ct', 'y', foreign)).rejects.toThrow(/400.*MANIFEST_BLOB_UNKNOWN/)
  })

  it('gives absolute upload Locations, and mounts an existing blob with 201', async () => {
    const start = await fetch(`${base()}/v2/ext/loc/blobs/uploads/`, {method: 'POST'})
    expect(start.status).toBe(202)
    expect(start.headers.get('location')).toMatch(new RegExp(`^${base()}/v2/ext/loc/blobs/uploads/[0-9a-f-]+\\?_state=`))
    const digest = await pushBlob(base(), 'ext/loc', 'mount me')
    const mount = await fetch(`${base()}/v2/ext/other/blobs/uploads/?mount=${digest}&from=ext/loc`, {method: 'POST'})
    expect(mount.status).toBe(201)
    expect(mount.headers.get('docker-content-digest')).toBe(digest)
    const missing = await fetch(`${base()}/v2/ext/other/blobs/uploads/?mount=sha256:${'2'.repeat(64)}&from=ext/loc`, {method: 'POST'})
    expect(missing.status).toBe(202) // falls back to a fresh upload session
  })

  it('does not paginate tags/list (ignores n, no Link, unsorted) but paginates _catalog with Link', async () => {
    const {bytes} = await pushArtifact(base(), 'ext/tags', '1.0.0', {...EXTENSION, config: {}})
    for (const tag of ['1.1.0', '0.9.0', 'v2.0.0']) await putManifest(base(), 'ext/tags', tag, bytes)
    const tags = await fetch(`${base()}/v2/ext/tags/tags/list?n=1`)
    expect(tags.headers.get('link')).toBeNull()
    expect(((await tags.json()) as {tags: string[]}).tags.sort()).toEqual(['0.9.0', '1.0.0', '1.1.0', 'v2.0.0'])
    const page = await fetch(`${base()}/v2/_catalog?n=1`)
    expect(page.headers.get('link')).toMatch(/^<\/v2\/_catalog\?last=[^&>]+&n=1>; rel="next"$/)
    expect(((await page.json()) as {repositories: string[]}).repositories).toHaveLength(1)
  })

  it('deletes only by digest, which removes every tag pointing at it (tags then null)', async () => {
    const {bytes, digest} = await pushArtifact(base(), 'ext/del', '1.0.0', {...EXTENSION, config: {}})
    await putManifest(base(), 'ext/del', 'latest', bytes)
    expect((await fetch(`${base()}/v2/ext/del/manifests/1.0.0`, {method: 'DELETE'})).status).toBe(400)
    expect((await fetch(`${base()}/v2/ext/del/manifests/${digest}`, {method: 'DELETE'})).status).toBe(202)
    expect(await (await fetch(`${base()}/v2/ext/del/tags/list`)).json()).toEqual({name: 'ext/del', tags: null})
    expect((await fetch(`${base()}/v2/ext/del/manifests/${digest}`, {method: 'DELETE'})).status).toBe(404)
    const catalog = (await (await fetch(`${base()}/v2/_catalog`)).json()) as {repositories: string[]}
    expect(catalog.repositories).toContain('ext/del') // emptied repositories stay listed
  })
})

describe('registry behaviour with relativeUrls', () => {
  const registry = useRegistry({relativeUrls: true})

  it('gives relative upload Locations', async () => {
    const start = await fetch(`${registry().url}/v2/ext/rel/blobs/uploads/`, {method: 'POST'})
    expect(start.headers.get('location')).toMatch(/^\/v2\/ext\/rel\/blobs\/uploads\/[0-9a-f-]+\?_state=/)
    await pushBlob(registry().url, 'ext/rel', 'relative')
  })
})
