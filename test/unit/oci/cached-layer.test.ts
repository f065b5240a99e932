import {execFileSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {appendFile, mkdir, readdir, readFile, rename, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {IntegrityError, NotFoundError} from '../../../src/lib/errors.js'
import {BlobCache} from '../../../src/lib/oci/blob-cache.js'
import {assertLayerSize, fillCacheFromFile, hasIntactBlob} from '../../../src/lib/oci/cache-fill.js'
import {extractCachedLayer} from '../../../src/lib/artifact/cached-layer.js'
import {EXTENSION_LAYER_CAP} from '../../../src/lib/artifact/install-layer.js'
import type {Descriptor} from '../../../src/lib/oci/media-types.js'
import {tempDir} from '../../helpers/cli.js'
import {tarGz} from '../../helpers/tar.js'

/**
 * Large layers are unpacked from their blob cache file (dep resolve): the file is hashed
 * again while it is read, and a damaged one never reaches the target (SPEC §8.3).
 */
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`

describe('extractCachedLayer / hasIntactBlob', () => {
  let root: string
  let cleanup: () => Promise<void>
  let cache: BlobCache
  let layer: Descriptor
  let payload: Buffer
  let target: string

  beforeEach(async () => {
    ;({dir: root, cleanup} = await tempDir())
    cache = new BlobCache(path.join(root, 'cache'))
    payload = randomBytes(3 * 1024 * 1024 + 17) // several 1 MiB reads
    const data = tarGz([
      {name: 'manifest.yaml', content: 'name: x\n'},
      {name: 'data/payload.bin', content: payload},
    ])
    layer = {mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(data), size: data.length}
    await cache.put(layer, data)
    target = path.join(root, 'ws', 'x')
    await mkdir(target, {recursive: true})
    await writeFile(path.join(target, 'old.txt'), 'old\n')
  })
  afterEach(() => cleanup())

  const damage = async () => {
    const data = await readFile(cache.file(layer.digest))
    data[Math.floor(data.length / 2)] ^= 0x01
    await writeFile(cache.file(layer.digest), data)
  }
  const leftovers = async () => (await readdir(path.dirname(target))).filter((n) => n !== 'x')

  it('unpacks an intact entry into place, replacing the old folder', async () => {
    expect(await hasIntactBlob(cache, layer)).toBe(true)
    const result = await extractCachedLayer(cache, layer, target, 'layer of x')
    expect(result.files).toEqual(['manifest.yaml', 'data/payload.bin'])
    expect((await readFile(path.join(target, 'data', 'payload.bin'))).equals(payload)).toBe(true)
    expect(existsSync(path.join(target, 'old.txt'))).toBe(false)
    expect(await leftovers()).toEqual([])
  })

  for (const [label, spoil, message] of [
    ['one byte flipped', damage, /digest mismatch/],
    ['bytes appended', () => appendFile(cache.file(layer.digest), Buffer.alloc(10)), /size mismatch/],
    ['cut short', async () => writeFile(cache.file(layer.digest), (await readFile(cache.file(layer.digest))).subarray(0, layer.size - 1000)), /size mismatch/],
  ] as const) {
    it(`an entry ${label} after it was verified: IntegrityError, entry removed, target untouched, no staging left`, async () => {
      await spoil()
      const error = await extractCachedLayer(cache, layer, target, 'layer of x').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(IntegrityError)
      expect((error as IntegrityError).exit).toBe(8)
      expect((error as Error).message).toMatch(message)
      expect(existsSync(cache.file(layer.digest))).toBe(false)
      expect(await readdir(target)).toEqual(['old.txt'])
      expect(await leftovers()).toEqual([])
    })
  }

  it('hasIntactBlob drops a damaged entry and reports a missing one', async () => {
    await damage()
    expect(await hasIntactBlob(cache, layer)).toBe(false)
    expect(existsSync(cache.file(layer.digest))).toBe(false)
    expect(await hasIntactBlob(cache, layer)).toBe(false)
  })

  it('removes a damaged entry only if it is still the file that was read (another run may have put a good one in place)', async () => {
    const good = await readFile(cache.file(layer.digest))
    await damage()
    const entry = await cache.openEntry(layer)
    expect(entry).toBeDefined()
    // Meanwhile another process renames a verified entry into place.
    const temp = `${cache.file(layer.digest)}.other.tmp`
    await writeFile(temp, good)
    await rename(temp, cache.file(layer.digest))
    await entry!.removeIfUnchanged()
    await entry!.close()
    expect((await readFile(cache.file(layer.digest))).equals(good)).toBe(true) // not toEqual: a deep compare of 3 MiB takes ~20 s
    expect(await hasIntactBlob(cache, layer)).toBe(true)
  })

  it('a folder, a link or a FIFO where an entry should be is a miss, never followed or waited on, and is removed', async () => {
    const file = cache.file(layer.digest)
    const elsewhere = path.join(root, 'elsewhere.bin')
    await rename(file, elsewhere)
    await symlink(elsewhere, file)
    expect(await hasIntactBlob(cache, layer)).toBe(false)
    expect(existsSync(file)).toBe(false)
    expect(existsSync(elsewhere)).toBe(true) // the link went, not what it pointed to
    execFileSync('mkfifo', [file])
    expect(await hasIntactBlob(cache, layer)).toBe(false)
    expect(existsSync(file)).toBe(false)
    await mkdir(file)
    await expect(extractCachedLayer(cache, layer, target, 'layer of x')).rejects.toBeInstanceOf(IntegrityError)
    expect(existsSync(file)).toBe(false)
    await expect(extractCachedLayer(cache, layer, target, 'layer of x')).rejects.toBeInstanceOf(NotFoundError)
    expect(await readdir(target)).toEqual(['old.txt'])
  })

  it('refuses to fill the cache for a layer claiming more than an extension may unpack to, before any download', () => {
    const huge = {...layer, size: 100 * 1024 ** 3}
    expect(() => assertLayerSize(huge, 'layer of x', EXTENSION_LAYER_CAP)).toThrow(IntegrityError)
    expect(() => assertLayerSize({...layer, size: Number.NaN}, 'layer of x', EXTENSION_LAYER_CAP)).toThrow(IntegrityError)
    expect(() => assertLayerSize(layer, 'layer of x', EXTENSION_LAYER_CAP)).not.toThrow()
  })

  it('fills the cache from a local blob file in pieces, verified (a damaged file leaves no entry)', async () => {
    const source = path.join(root, 'layout-blob')
    await writeFile(source, await readFile(cache.file(layer.digest)))
    await rm(cache.file(layer.digest))
    await fillCacheFromFile(cache, source, layer, 'layer of x', EXTENSION_LAYER_CAP)
    expect(await hasIntactBlob(cache, layer)).toBe(true)
    await rm(cache.file(layer.digest))
    const data = await readFile(source)
    data[10] ^= 0x01
    await writeFile(source, data)
    await expect(fillCacheFromFile(cache, source, layer, 'layer of x', EXTENSION_LAYER_CAP)).rejects.toBeInstanceOf(IntegrityError)
    expect(existsSync(cache.file(layer.digest))).toBe(false)
    expect((await readdir(path.dirname(cache.file(layer.digest)))).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('an entry that disappeared before the install: NotFoundError, target untouched', async () => {
    await rm(cache.file(layer.digest))
    await expect(extractCachedLayer(cache, layer, target, 'layer of x')).rejects.toBeInstanceOf(NotFoundError)
    expect(await readdir(target)).toEqual(['old.txt'])
    expect(await leftovers()).toEqual([])
  })
})
