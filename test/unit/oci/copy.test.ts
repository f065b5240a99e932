import {readdir} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {IntegrityError} from '../../../src/lib/errors.js'
import {copyArtifact, type CopyEvent, MAX_INDEX_DEPTH} from '../../../src/lib/oci/copy.js'
import {LayoutStore} from '../../../src/lib/oci/layout-store.js'
import {MemoryStore} from '../../../src/lib/oci/memory-store.js'
import type {ManifestContent} from '../../../src/lib/oci/store.js'
import {addImage, indexOf} from '../../helpers/artifact-graph.js'
import {sha256} from '../../helpers/oci-types.js'
import {tempDir} from '../../helpers/cli.js'

/** copyArtifact between real stores: an artifact in memory (a push) and an OCI layout on disk. */
describe('copyArtifact', () => {
  let root: string
  let cleanup: () => Promise<void>
  let source: MemoryStore
  let layout: LayoutStore

  beforeEach(async () => {
    ;({dir: root, cleanup} = await tempDir())
    source = new MemoryStore()
    layout = new LayoutStore(path.join(root, 'layout'))
  })
  afterEach(() => cleanup())

  const copy = (reference: string, options: {tag?: string; events?: CopyEvent[]; from?: MemoryStore | LayoutStore; to?: MemoryStore | LayoutStore} = {}) =>
    copyArtifact(
      {store: options.from ?? source, repository: 'ext/a', reference},
      {store: options.to ?? layout, repository: 'ext/a'},
      {concurrency: 3, tag: options.tag, onEvent: (event) => options.events?.push(event)},
    )

  it('copies an image into a layout, then skips every blob the layout already holds', async () => {
    const {manifest, blobs} = addImage(source, [100, 200])
    source.addManifest(manifest, '1.0.0')
    const first: CopyEvent[] = []
    const result = await copy('1.0.0', {events: first})
    expect(result).toMatchObject({
      descriptor: manifest.descriptor,
      tag: '1.0.0',
      blobs: 3,
      transferred: 3,
      skipped: 0,
      mounted: 0,
      bytesTransferred: blobs.reduce((n, b) => n + b.size, 0),
    })
    expect(first.filter((e) => e.kind === 'blob').map((e) => e.action)).toEqual(['transferred', 'transferred', 'transferred'])
    expect(first.at(-1)).toEqual({kind: 'manifest', descriptor: manifest.descriptor, action: 'pushed'})
    expect(await layout.resolve('ext/a', '1.0.0')).toMatchObject({digest: manifest.descriptor.digest})
    for (const b of blobs) expect(await layout.fetchBlob('ext/a', b)).toEqual(await source.fetchBlob('ext/a', b))

    const second: CopyEvent[] = []
    expect(await copy('1.0.0', {events: second})).toMatchObject({transferred: 0, skipped: 3})
    expect(second.map((e) => e.action)).toEqual(['skipped', 'skipped', 'skipped', 'unchanged'])
  })

  it('sends only the blobs the destination lacks', async () => {
    const old = addImage(source, [50])
    source.addManifest(old.manifest, '1.0.0')
    await copy('1.0.0')
    // The new version shares the old layer and brings a new config.
    const shared = old.blobs[1]
    const {manifest} = addImage(source, [])
    const doc = JSON.parse(manifest.bytes.toString('utf8')) as {config: unknown}
    const next = {schemaVersion: 2, mediaType: manifest.descriptor.mediaType, config: doc.config, layers: [shared]}
    const bytes = Buffer.from(JSON.stringify(next))
    const nextManifest: ManifestContent = {descriptor: {mediaType: manifest.descriptor.mediaType, digest: sha256(bytes), size: bytes.byteLength}, bytes}
    source.addManifest(nextManifest, '1.1.0')
    const events: CopyEvent[] = []
    expect(await copy('1.1.0', {events})).toMatchObject({transferred: 1, skipped: 1})
    expect(events.find((e) => e.kind === 'blob' && e.descriptor.digest === shared.digest)?.action).toBe('skipped')
  })

  it('pushes manifests last, each index after its children, and tags only the root', async () => {
    const amd = addImage(source, [10])
    const arm = addImage(source, [20])
    for (const child of [amd.manifest, arm.manifest]) source.addManifest(child, child.descriptor.digest)
    const index = indexOf([amd.manifest, arm.manifest])
    source.addManifest(index, '2.0.0')
    const events: CopyEvent[] = []
    await copy('2.0.0', {events})
    const pushed = events.filter((e) => e.kind === 'manifest').map((e) => e.descriptor.digest)
    expect(pushed).toHaveLength(3)
    expect(pushed.at(-1)).toBe(index.descriptor.digest)
    // Every blob of a manifest went out before that manifest.
    for (const image of [amd, arm]) {
      const at = events.findIndex((e) => e.kind === 'manifest' && e.descriptor.digest === image.manifest.descriptor.digest)
      for (const b of image.blobs) expect(events.findIndex((e) => e.kind === 'blob' && e.descriptor.digest === b.digest)).toBeLessThan(at)
    }
    expect(await layout.listTags('ext/a')).toEqual(['2.0.0'])
    expect(await layout.hasManifest('ext/a', amd.manifest.descriptor.digest)).toBe(true)
  })

  it(`refuses indexes nested more than ${MAX_INDEX_DEPTH} levels deep, pushing nothing for them`, async () => {
    let top: ManifestContent = addImage(source, [5]).manifest
    source.addManifest(top, top.descriptor.digest)
    for (let level = 0; level <= MAX_INDEX_DEPTH; level++) {
      top = indexOf([top])
      source.addManifest(top, top.descriptor.digest)
    }
    source.addManifest(top, 'deep')
    await expect(copy('deep')).rejects.toBeInstanceOf(IntegrityError)
    expect(await layout.hasManifest('ext/a', top.descriptor.digest)).toBe(false)
  })

  it('copies by digest without a tag, or under the tag it is given', async () => {
    const {manifest} = addImage(source, [30])
    source.addManifest(manifest, '1.0.0')
    expect((await copy(manifest.descriptor.digest)).tag).toBeUndefined()
    expect(await layout.resolve('ext/a', manifest.descriptor.digest)).toMatchObject({digest: manifest.descriptor.digest})
    await expect(layout.listTags('ext/a')).resolves.toEqual([])
    expect((await copy('1.0.0', {tag: 'stable'})).tag).toBe('stable')
    expect(await layout.listTags('ext/a')).toEqual(['stable'])
  })

  it('copies between layouts from file bodies (streamed) and reports the bytes sent of each', async () => {
    const {manifest, blobs} = addImage(source, [3 * 1024 * 1024])
    source.addManifest(manifest, '1.0.0')
    await copy('1.0.0')
    const other = new LayoutStore(path.join(root, 'other'))
    const sent = new Map<string, number>()
    const result = await copyArtifact(
      {store: layout, repository: 'ext/a', reference: '1.0.0'},
      {store: other, repository: 'ext/b'},
      {concurrency: 2, onBytes: (d, bytes) => sent.set(d.digest, bytes)},
    )
    expect(result).toMatchObject({transferred: 2, tag: '1.0.0'})
    expect(sent.get(blobs[1].digest)).toBe(blobs[1].size)
    // Buffer.equals: a deep toEqual over 3 MiB takes minutes.
    expect((await other.fetchBlob('ext/b', blobs[1])).equals(await source.fetchBlob('ext/a', blobs[1]))).toBe(true)
    expect(await other.listTags('ext/b')).toEqual(['1.0.0'])
    expect(await readdir(path.join(root, 'other', 'ext', 'b', 'blobs', 'sha256'))).toHaveLength(3)
  })
})
