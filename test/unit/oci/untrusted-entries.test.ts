import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {appendFile, lstat, mkdir, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {IntegrityError} from '../../../src/lib/errors.js'
import {bodyBuffer} from '../../../src/lib/util/blob-body.js'
import {BlobCache} from '../../../src/lib/oci/blob-cache.js'
import {hasIntactBlob} from '../../../src/lib/oci/cache-fill.js'
import {LayoutStore} from '../../../src/lib/oci/layout-store.js'
import {MemoryStore} from '../../../src/lib/oci/memory-store.js'
import {MAX_DOCUMENT_BYTES} from '../../../src/lib/oci/limits.js'
import type {Descriptor} from '../../../src/lib/oci/media-types.js'
import {addImage} from '../../helpers/artifact-graph.js'
import {tempDir} from '../../helpers/cli.js'

/**
 * SPEC §14 "cache entries only regular files of the expected size": every read path of the
 * blob cache (get, through, openEntry/hasIntactBlob) and of an OCI layout opens files
 * under one rule. A FIFO must not hang, a link to /dev/zero must not be read, a file of
 * the wrong size is not read whole; a cache entry breaking the rule is a miss, removed,
 * and the fetch that follows replaces it.
 */
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`

describe('untrusted files: blob cache entries and layout blobs', () => {
  let root: string
  let cleanup: () => Promise<void>
  let cache: BlobCache
  const content = Buffer.from('{"name":"x","type":"taskserv","version":"1.0.0"}')
  const descriptor: Descriptor = {mediaType: 'application/json', digest: sha256(content), size: content.length}

  beforeEach(async () => {
    ;({dir: root, cleanup} = await tempDir())
    cache = new BlobCache(path.join(root, 'cache'))
    await mkdir(path.dirname(cache.file(descriptor.digest)), {recursive: true})
  })
  afterEach(() => cleanup())

  const entry = () => cache.file(descriptor.digest)
  const spoilers: Array<[string, () => Promise<void>]> = [
    ['a FIFO', async () => void execFileSync('mkfifo', [entry()])],
    ['a link to /dev/zero', () => symlink('/dev/zero', entry())],
    [
      'a link to a good copy elsewhere',
      async () => {
        await writeFile(path.join(root, 'good'), content)
        await symlink(path.join(root, 'good'), entry())
      },
    ],
    ['a folder', () => mkdir(entry())],
    [
      'a longer file',
      async () => {
        await writeFile(entry(), content)
        await appendFile(entry(), Buffer.alloc(1024 * 1024))
      },
    ],
  ]

  for (const [label, spoil] of spoilers) {
    it(`${label} at an entry's path: get, through and hasIntactBlob miss at once, remove it and refetch`, async () => {
      await spoil()
      expect(await cache.get(descriptor)).toBeUndefined()
      expect(await lstat(entry()).catch(() => undefined)).toBeUndefined()

      await spoil()
      let fetched = 0
      const {data, cached} = await cache.through(descriptor, async () => {
        fetched++
        return content
      })
      expect({data: data.toString(), cached, fetched}).toEqual({data: content.toString(), cached: false, fetched: 1})
      expect((await lstat(entry())).isFile()).toBe(true)
      expect(await cache.get(descriptor)).toEqual(content)

      await rm(entry(), {recursive: true, force: true})
      await spoil()
      expect(await hasIntactBlob(cache, {...descriptor})).toBe(false)
      expect(await lstat(entry()).catch(() => undefined)).toBeUndefined()
    })
  }

  it('a manifest looked up by digest alone (no size) is bounded by the document cap', async () => {
    const big = Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x20)
    const digest = sha256(big)
    await writeFile(cache.file(digest), big)
    expect(await cache.get({digest})).toBeUndefined()
    expect(existsSync(cache.file(digest))).toBe(false)
    await writeFile(cache.file(descriptor.digest), content)
    expect(await cache.get({digest: descriptor.digest})).toEqual(content)
  })

  describe('an OCI layout copied in from elsewhere', () => {
    let layout: LayoutStore
    let blob: string

    beforeEach(async () => {
      layout = new LayoutStore(path.join(root, 'layout'))
      await layout.pushBlob('ns/x', descriptor, content)
      blob = path.join(root, 'layout', 'ns', 'x', 'blobs', 'sha256', descriptor.digest.slice(7))
    })

    for (const [label, spoil] of [
      ['a FIFO', () => void execFileSync('mkfifo', [blob])],
      ['a link to /dev/zero', () => symlink('/dev/zero', blob)],
    ] as const) {
      it(`${label} as a blob file is damage (exit 8) on every read path, never read or waited on`, async () => {
        await rm(blob)
        await spoil()
        await expect(layout.fetchBlob('ns/x', descriptor)).rejects.toBeInstanceOf(IntegrityError)
        await expect(layout.openBlob('ns/x', descriptor)).rejects.toBeInstanceOf(IntegrityError)
        await expect(bodyBuffer({file: blob, size: descriptor.size})).rejects.toBeInstanceOf(IntegrityError)
        expect(await layout.hasBlob('ns/x', descriptor)).toBe(false)
        // Pushing the blob again replaces it with the real content.
        await layout.pushBlob('ns/x', descriptor, content)
        expect(await readFile(blob)).toEqual(content)
      })
    }

    describe('index.json entries are checked, and counted, before any is used', () => {
      const writeIndex = (manifests: unknown[]) => writeFile(path.join(root, 'layout', 'ns', 'x', 'index.json'), JSON.stringify({schemaVersion: 2, manifests}))
      const tagged = {...descriptor, annotations: {'org.opencontainers.image.ref.name': '1.0.0'}}
      const cases: Array<[string, unknown, RegExp]> = [
        ['a digest that is a path', {...tagged, digest: 'sha256:../../../../etc/passwd'}, /manifests\[0\]\.digest is not a sha256 digest/],
        ['a size that is not a byte count', {...tagged, size: '4096'}, /manifests\[0\]\.size is not a non-negative integer/],
        ['no media type', {digest: descriptor.digest, size: descriptor.size}, /manifests\[0\]\.mediaType is not a string/],
        [
          'a tag name that is not a string',
          {...descriptor, annotations: {'org.opencontainers.image.ref.name': 7}},
          /manifests\[0\]\.annotations is not a map of strings/,
        ],
      ]
      for (const [name, entry, message] of cases) {
        it(name, async () => {
          await writeIndex([entry])
          const refused = layout.listTags('ns/x')
          await expect(refused).rejects.toThrow(message)
          await expect(refused).rejects.toThrow(/is not a valid OCI image index/)
        })
      }

      it('more than 10,000 entries: refused before any manifest is read', async () => {
        await writeIndex(Array.from({length: 10_001}, (_, i) => ({...descriptor, digest: `sha256:${i.toString(16).padStart(64, '0')}`})))
        await expect(layout.listTags('ns/x')).rejects.toThrow(/10001 entries, more than the 10000 allowed/)
        await expect(layout.listReferrers('ns/x', descriptor.digest)).rejects.toThrow(/10001 entries/)
      })

      it('a push that would make the 10,001st entry is refused, and the index stays readable', async () => {
        await writeIndex(Array.from({length: 10_000}, (_, i) => ({...descriptor, digest: `sha256:${i.toString(16).padStart(64, '0')}`})))
        const built = new MemoryStore()
        const {manifest, blobs} = addImage(built)
        for (const b of blobs) await layout.pushBlob('ns/x', b, await built.fetchBlob('ns/x', b))
        await expect(layout.pushManifest('ns/x', manifest, '2.0.0')).rejects.toThrow(/would list 10001 entries, more than the 10000/)
        expect(await layout.listTags('ns/x')).toEqual([])
      })
    })

    it('a manifest descriptor in index.json promising more than the document cap is refused unread', async () => {
      await writeFile(
        path.join(root, 'layout', 'ns', 'x', 'index.json'),
        JSON.stringify({
          schemaVersion: 2,
          manifests: [{...descriptor, size: MAX_DOCUMENT_BYTES + 1, annotations: {'org.opencontainers.image.ref.name': '1.0.0'}}],
        }),
      )
      await expect(layout.fetchManifest('ns/x', '1.0.0')).rejects.toThrow(/more than the 4194304 bytes/)
    })
  })
})
