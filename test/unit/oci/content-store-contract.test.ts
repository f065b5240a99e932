import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {IntegrityError, NotFoundError} from '../../../src/lib/errors.js'
import {digestHex} from '../../../src/lib/oci/digest.js'
import {LayoutStore} from '../../../src/lib/oci/layout-store.js'
import {MemoryStore} from '../../../src/lib/oci/memory-store.js'
import type {ContentStore} from '../../../src/lib/oci/store.js'
import {addImage} from '../../helpers/artifact-graph.js'
import {tempDir} from '../../helpers/cli.js'
import {blobPath, useRegistry} from '../../helpers/registry.js'
import {useRegistryStores} from '../../helpers/registry-stores.js'

/**
 * What every ContentStore promises, run against each real store: an artifact pushed is
 * resolved, fetched and listed as pushed; content that does not match its digest is
 * refused; a deleted manifest is gone.
 */
interface Subject {
  store: () => ContentStore
  /** Overwrites a stored blob's bytes in place (undefined: the store keeps no bytes of its own to damage). */
  corrupt?: (repository: string, digest: string) => Promise<void>
}

function contract(name: string, subject: Subject): void {
  describe(`ContentStore contract: ${name}`, () => {
    const repository = `contract/${name.toLowerCase()}`

    it('a pushed artifact resolves by tag and digest, and its manifest and blobs read back as pushed', async () => {
      const store = subject.store()
      const built = new MemoryStore()
      const {manifest, blobs} = addImage(built, [300, 40])
      for (const b of blobs) {
        expect(await store.hasBlob(repository, b)).toBe(false)
        await store.pushBlob(repository, b, await built.fetchBlob(repository, b))
        expect(await store.hasBlob(repository, b)).toBe(true)
      }
      await store.pushManifest(repository, manifest, '1.0.0')
      expect(await store.resolve(repository, '1.0.0')).toMatchObject({digest: manifest.descriptor.digest, size: manifest.descriptor.size})
      expect(await store.resolve(repository, manifest.descriptor.digest)).toMatchObject({digest: manifest.descriptor.digest})
      expect((await store.fetchManifest(repository, '1.0.0')).bytes.equals(manifest.bytes)).toBe(true)
      expect(await store.hasManifest(repository, manifest.descriptor.digest)).toBe(true)
      for (const b of blobs) expect((await store.fetchBlob(repository, b)).equals(await built.fetchBlob(repository, b))).toBe(true)
      await store.pushManifest(repository, manifest, '1.0.1')
      expect((await store.listTags(repository)).sort()).toEqual(['1.0.0', '1.0.1'])
    })

    it('a blob that does not match its descriptor is refused on push (exit 8)', async () => {
      const store = subject.store()
      const {blobs} = addImage(new MemoryStore(), [64])
      await expect(store.pushBlob(repository, blobs[1], Buffer.from('not the content'))).rejects.toBeInstanceOf(IntegrityError)
      expect(await store.hasBlob(repository, blobs[1])).toBe(false)
    })

    const {corrupt} = subject
    if (corrupt)
      it('a stored blob damaged afterwards is refused on fetch (exit 8)', async () => {
        const store = subject.store()
        const built = new MemoryStore()
        const {blobs} = addImage(built, [128])
        await store.pushBlob(repository, blobs[1], await built.fetchBlob(repository, blobs[1]))
        await corrupt(repository, blobs[1].digest)
        await expect(store.fetchBlob(repository, blobs[1])).rejects.toBeInstanceOf(IntegrityError)
      })

    it('a deleted manifest no longer resolves', async () => {
      const store = subject.store()
      const built = new MemoryStore()
      const {manifest, blobs} = addImage(built, [20])
      for (const b of blobs) await store.pushBlob(repository, b, await built.fetchBlob(repository, b))
      await store.pushManifest(repository, manifest, 'gone')
      await store.deleteManifest(repository, manifest.descriptor.digest)
      await expect(store.resolve(repository, 'gone')).rejects.toBeInstanceOf(NotFoundError)
    })
  })
}

contract('Memory', {store: () => new MemoryStore()})

describe('on disk', () => {
  let root = ''
  let cleanup: () => Promise<void> = async () => undefined
  beforeAll(async () => {
    ;({dir: root, cleanup} = await tempDir())
  })
  afterAll(() => cleanup())
  contract('Layout', {
    store: () => new LayoutStore(path.join(root, 'layout')),
    corrupt: async (repository, digest) => {
      const file = path.join(root, 'layout', ...repository.split('/'), 'blobs', 'sha256', digestHex(digest))
      await writeFile(file, Buffer.alloc(128, 0x41)) // same size, other bytes
    },
  })
})

describe('on a registry', () => {
  const registry = useRegistry()
  const open = useRegistryStores()
  contract('Registry', {
    store: () => open(registry().host),
    corrupt: async (_repository, digest) => {
      await writeFile(blobPath(registry(), digest), Buffer.alloc(128, 0x41))
    },
  })
})
