import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {IntegrityError} from '../../../src/lib/errors.js'
import {BlobCache} from '../../../src/lib/oci/blob-cache.js'
import {EXTENSION_LAYER_CAP, MAX_LAYER_BYTES} from '../../../src/lib/artifact/install-layer.js'
import {fillCacheStreaming} from '../../../src/lib/oci/cache-fill.js'
import type {StreamedBlobAttempt} from '../../../src/lib/oci/store.js'
import type {Descriptor} from '../../../src/lib/oci/media-types.js'
import type {RegistryStore} from '../../../src/lib/oci/registry-store.js'
import {tempDir} from '../../helpers/cli.js'

/**
 * fillCacheStreaming's size cap: the extension cap by default (pull, dep resolve), none for
 * `oci copy` (any artifact; the declared size still bounds what is read). A store stand-in
 * records whether a download started; no large body is ever sent.
 */
const GiB = 1024 * 1024 * 1024

/** A store whose blob "download" hands `body` to the attempt in one chunk. */
function fakeStore(body: Buffer): {store: RegistryStore; started: () => number} {
  let started = 0
  const store = {
    async fetchBlobStreaming<T>(_repository: string, _descriptor: Descriptor, open: () => Promise<StreamedBlobAttempt<T>>): Promise<T> {
      started++
      const attempt = await open()
      try {
        await attempt.write(body)
        return await attempt.finish()
      } catch (error) {
        await attempt.abort()
        throw error
      }
    },
  }
  return {store: store as unknown as RegistryStore, started: () => started}
}

describe('fillCacheStreaming size cap', () => {
  let root: string
  let cleanup: () => Promise<void>
  let cache: BlobCache

  beforeEach(async () => {
    ;({dir: root, cleanup} = await tempDir())
    cache = new BlobCache(path.join(root, 'cache'))
  })
  afterEach(() => cleanup())

  const huge = (size: number): Descriptor => ({mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size})

  it('with the extension cap, refuses a blob declared over it before any request', async () => {
    const {store, started} = fakeStore(Buffer.alloc(0))
    const error = await fillCacheStreaming(cache, store, 'ns/x', huge(MAX_LAYER_BYTES + 1), 'layer', EXTENSION_LAYER_CAP).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IntegrityError)
    expect((error as IntegrityError).message).toMatch(/more than an extension may unpack to/)
    expect(started()).toBe(0)
  })

  it('an explicit cap applies instead (smaller here)', async () => {
    const {store, started} = fakeStore(Buffer.alloc(0))
    await expect(fillCacheStreaming(cache, store, 'ns/x', huge(2000), 'layer', {bytes: 1000, exceeded: 'more than 1000 bytes'})).rejects.toBeInstanceOf(
      IntegrityError,
    )
    expect(started()).toBe(0)
  })

  it('with no cap (oci copy) a 2 GiB blob is requested, and the declared size still bounds the body', async () => {
    // The stand-in sends 3 bytes for a 2 GiB descriptor: the download starts, the digest check fails.
    const {store, started} = fakeStore(Buffer.from('abc'))
    await expect(fillCacheStreaming(cache, store, 'ns/x', huge(2 * GiB), 'blob', null)).rejects.toBeInstanceOf(IntegrityError)
    expect(started()).toBe(1)
  })

  it('with no cap, a blob of its declared size is cached; a size that is not a byte count is still refused', async () => {
    const data = Buffer.from('hello')
    const descriptor: Descriptor = {
      mediaType: 'application/octet-stream',
      digest: `sha256:${createHash('sha256').update(data).digest('hex')}`,
      size: data.length,
    }
    const {store} = fakeStore(data)
    await fillCacheStreaming(cache, store, 'ns/x', descriptor, 'blob', null)
    expect(await readFile(cache.file(descriptor.digest), 'utf8')).toBe('hello')
    const {store: unused, started} = fakeStore(data)
    await expect(fillCacheStreaming(cache, unused, 'ns/x', {...descriptor, size: -1}, 'blob', null)).rejects.toBeInstanceOf(IntegrityError)
    expect(started()).toBe(0)
  })
})
