import {existsSync} from 'node:fs'
import {readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, afterEach, beforeEach, describe, expect, it} from 'vitest'

import {IntegrityError, RegistryError} from '../../../src/lib/errors.js'
import {BlobCache} from '../../../src/lib/oci/blob-cache.js'
import {CachingStore} from '../../../src/lib/oci/caching-store.js'
import {digestHex} from '../../../src/lib/oci/digest.js'
import {LayoutStore} from '../../../src/lib/oci/layout-store.js'
import type {Descriptor} from '../../../src/lib/oci/media-types.js'
import {MemoryStore} from '../../../src/lib/oci/memory-store.js'
import {useRegistryStores} from '../../helpers/registry-stores.js'
import {STREAM_LAYER_THRESHOLD_BYTES} from '../../../src/lib/oci/stream-threshold.js'
import {isBlobFile} from '../../../src/lib/util/blob-body.js'
import {addImage} from '../../helpers/artifact-graph.js'
import {tempDir} from '../../helpers/cli.js'
import {blobPath, useRegistry} from '../../helpers/registry.js'

/** The blob cache as a store wrapping another: reads go through the cache, verified. */
describe('CachingStore over a layout', () => {
  let root: string
  let cleanup: () => Promise<void>
  let layout: LayoutStore
  let cache: BlobCache
  let store: CachingStore
  const repository = 'ext/a'

  beforeEach(async () => {
    ;({dir: root, cleanup} = await tempDir())
    layout = new LayoutStore(path.join(root, 'layout'))
    cache = new BlobCache(path.join(root, 'cache'))
    store = new CachingStore(layout, cache)
  })
  afterEach(() => cleanup())

  const put = async (sizes: number[]): Promise<Descriptor[]> => {
    const built = new MemoryStore()
    const {blobs} = addImage(built, sizes)
    for (const b of blobs) await layout.pushBlob(repository, b, await built.fetchBlob(repository, b))
    return blobs
  }
  const layoutFile = (digest: string) => path.join(root, 'layout', 'ext', 'a', 'blobs', 'sha256', digestHex(digest))

  it('a second read is served from the cache, even once the origin lost the blob', async () => {
    const [, small] = await put([2048])
    const first = await store.readBlob(repository, small)
    expect(first.cached).toBe(false)
    await rm(layoutFile(small.digest))
    const second = await store.readBlob(repository, small)
    expect(second.cached).toBe(true)
    expect(Buffer.isBuffer(second.body) && second.body.equals(first.body as Buffer)).toBe(true)
  })

  it('a damaged cache entry is dropped and fetched again from the origin', async () => {
    const [, small] = await put([2048])
    await store.fetchBlob(repository, small)
    await writeFile(cache.file(small.digest), Buffer.alloc(small.size, 0x41))
    const again = await store.readBlob(repository, small)
    expect(again.cached).toBe(false)
    expect((await readFile(cache.file(small.digest))).equals(await readFile(layoutFile(small.digest)))).toBe(true)
  })

  it('a large blob is copied into the cache in pieces and handed on as the verified cache file', async () => {
    const [, large] = await put([STREAM_LAYER_THRESHOLD_BYTES + 5])
    const first = await store.readBlob(repository, large)
    expect(first).toEqual({body: {file: cache.file(large.digest), size: large.size}, cached: false})
    const second = await store.readBlob(repository, large)
    expect(second.cached).toBe(true)
    expect(isBlobFile(second.body)).toBe(true)
  })

  it('offline (cache only): a miss throws the given error without reading the origin', async () => {
    const [, small, large] = await put([100, STREAM_LAYER_THRESHOLD_BYTES])
    const offline = () => new RegistryError('offline')
    await expect(store.readBlob(repository, small, {cacheOnly: offline})).rejects.toThrow('offline')
    await expect(store.readBlob(repository, large, {cacheOnly: offline})).rejects.toThrow('offline')
    expect(existsSync(cache.file(small.digest))).toBe(false)
  })

  it('content damaged in the origin is refused (exit 8) and leaves no cache entry', async () => {
    const [, small, large] = await put([100, STREAM_LAYER_THRESHOLD_BYTES])
    for (const d of [small, large]) {
      await writeFile(layoutFile(d.digest), Buffer.alloc(d.size, 0x42))
      await expect(store.readBlob(repository, d)).rejects.toBeInstanceOf(IntegrityError)
      expect(existsSync(cache.file(d.digest))).toBe(false)
    }
  })
})

describe('CachingStore over a registry', () => {
  const registry = useRegistry()
  const open = useRegistryStores()
  let cleanup: () => Promise<void> = async () => undefined
  afterAll(() => cleanup())

  it('streams a large blob into the cache (verified), serves it from there next, and refuses one damaged in the registry', async () => {
    let root: string
    ;({dir: root, cleanup} = await tempDir())
    const origin = open(registry().host)
    const store = new CachingStore(origin, new BlobCache(path.join(root, 'cache')))
    expect(typeof store.fetchBlobStreaming).toBe('function') // the origin's ability, kept
    const built = new MemoryStore()
    const {
      blobs: [, large, damaged],
    } = addImage(built, [STREAM_LAYER_THRESHOLD_BYTES + 1, STREAM_LAYER_THRESHOLD_BYTES + 2])
    for (const d of [large, damaged]) await store.pushBlob('cache/test', d, await built.fetchBlob('cache/test', d))
    expect(await store.readBlob('cache/test', large)).toMatchObject({cached: false, body: {file: store.cache.file(large.digest), size: large.size}})
    expect((await readFile(store.cache.file(large.digest))).equals(await built.fetchBlob('cache/test', large))).toBe(true)
    expect((await store.readBlob('cache/test', large)).cached).toBe(true)
    await writeFile(blobPath(registry(), damaged.digest), Buffer.alloc(damaged.size, 0x43))
    await expect(store.readBlob('cache/test', damaged)).rejects.toBeInstanceOf(IntegrityError)
    expect(existsSync(store.cache.file(damaged.digest))).toBe(false)
  })
})
