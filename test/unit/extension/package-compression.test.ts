import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {cp, mkdir, readdir, readFile, utimes, writeFile} from 'node:fs/promises'
import path from 'node:path'
import zlib from 'node:zlib'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {looksIncompressible} from '../../../src/lib/extension/entropy.js'
import {extractArchive} from '../../../src/lib/extension/extract.js'
import {packageExtension, packageExtensionSpooled, writePackage} from '../../../src/lib/extension/package.js'
import {isBlobFile} from '../../../src/lib/util/blob-body.js'
import {SPOOL_MEMORY_BYTES} from '../../../src/lib/util/blob-spool.js'
import {makeTempDir, snapshotTree, writeValidExtension} from './helpers.js'

/**
 * The adaptive layer compression (SPEC §8.2, reproducible packaging): level 9 for pieces of
 * the tar stream that look compressible, stored deflate blocks for random-looking ones.
 */
let root: string
let cleanup: () => Promise<void>

beforeEach(async () => {
  ;({root, cleanup} = await makeTempDir())
})
afterEach(async () => cleanup())

/** What packaging gave before the adaptive compression: the whole tar through gzip -9, OS byte 3. */
function classicGzip(tar: Buffer): Buffer {
  const out = zlib.gzipSync(tar, {level: 9, memLevel: 8, windowBits: 15, strategy: zlib.constants.Z_DEFAULT_STRATEGY})
  out[9] = 3
  return out
}

/** Text that deflate shrinks well but not trivially (no single repeated line). */
function text(bytes: number): string {
  const lines: string[] = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const line = `line ${i}: the ${i % 7 === 0 ? 'quick' : 'lazy'} extension installs version ${i % 13}.${i % 5}.${i % 3} on host-${i % 17}\n`
    lines.push(line)
    size += line.length
  }
  return lines.join('')
}

describe('adaptive layer compression', () => {
  it('leaves archives of text byte-identical to plain gzip -9 (their digests did not change)', async () => {
    const ext = path.join(root, 'redis')
    await writeValidExtension(ext, {'docs/big.md': text(3 * 1024 * 1024)}) // several 1 MiB pieces
    const {data} = await packageExtension(ext, {env: {}})
    expect(data.equals(classicGzip(zlib.gunzipSync(data)))).toBe(true)
    expect(data.length).toBeLessThan(zlib.gunzipSync(data).length / 5)
  })

  it('stores random data instead of deflating it, reproducibly, as standard gzip that tar and gzip read', async () => {
    const ext = path.join(root, 'redis')
    const random = randomBytes(3 * 1024 * 1024 + 12_345)
    await writeValidExtension(ext, {'docs/notes.md': text(2 * 1024 * 1024)})
    await mkdir(path.join(ext, 'files'), {recursive: true})
    await writeFile(path.join(ext, 'files', 'payload.bin'), random)

    const first = await packageExtension(ext, {env: {}})
    const tar = zlib.gunzipSync(first.data)
    expect(tar.length).toBe(first.uncompressedSize)
    // The random 3 MiB cost little more than their size, the 2 MiB of text shrank as before.
    const textOnly = classicGzip(tar.subarray(0, 0)).length // header + trailer
    expect(first.size).toBeLessThan(random.length + (2 * 1024 * 1024) / 5 + 64 * 1024 + textOnly)
    expect(first.size).toBeGreaterThan(random.length)

    // Same folder copied with other mtimes: the same bytes.
    const copy = path.join(root, 'copy', 'redis')
    await cp(ext, copy, {recursive: true})
    await utimes(path.join(copy, 'files', 'payload.bin'), new Date(2001, 1, 1), new Date(2001, 1, 1))
    const second = await packageExtension(copy, {env: {}})
    expect(second.digest).toBe(first.digest)
    expect(second.data.equals(first.data)).toBe(true)

    // Independent readers: gzip -t, tar, and our own extraction.
    const written = await writePackage(ext, path.join(root, 'out'), {env: {}})
    expect(written.digest).toBe(first.digest)
    expect((await readFile(written.path)).equals(first.data)).toBe(true)
    execFileSync('gzip', ['-t', written.path])
    expect(execFileSync('tar', ['-tzf', written.path], {encoding: 'utf8'})).toContain('files/payload.bin')
    const dest = path.join(root, 'installed', 'redis')
    await extractArchive(first.data, dest)
    expect(await snapshotTree(dest)).toEqual(await snapshotTree(ext))
  })

  it('spools a large archive to a temp file with the digest of the in-memory package, and removes it', async () => {
    const ext = path.join(root, 'redis')
    await writeValidExtension(ext)
    await mkdir(path.join(ext, 'files'), {recursive: true})
    await writeFile(path.join(ext, 'files', 'payload.bin'), randomBytes(SPOOL_MEMORY_BYTES + 1024 * 1024))
    const spoolDir = path.join(root, 'spool')

    const spooled = await packageExtensionSpooled(ext, spoolDir, {env: {}})
    const body = spooled.layer.body
    if (!isBlobFile(body)) throw new Error('expected the package in a file')
    const inMemory = await packageExtension(ext, {env: {}})
    expect(spooled.digest).toBe(inMemory.digest)
    expect(spooled.size).toBe(inMemory.size)
    expect((await readFile(body.file)).equals(inMemory.data)).toBe(true)
    await spooled.layer.dispose()
    expect(existsSync(body.file)).toBe(false)

    const small = await packageExtensionSpooled(path.join(root, 'redis'), spoolDir, {env: {}})
    expect(small.digest).toBe(inMemory.digest)
    await small.layer.dispose()
    expect(await readdir(spoolDir)).toEqual([])
  })

  it('judges pieces by their bytes: random and already-compressed data are stored, text and zeros are not', () => {
    const mib = 1024 * 1024
    expect(looksIncompressible(randomBytes(mib))).toBe(true)
    expect(looksIncompressible(zlib.gzipSync(Buffer.from(randomBytes(2 * mib).toString('hex'))).subarray(0, mib))).toBe(true)
    expect(looksIncompressible(Buffer.from(text(mib)))).toBe(false)
    expect(looksIncompressible(Buffer.alloc(mib))).toBe(false)
    expect(looksIncompressible(randomBytes(1024))).toBe(false) // too small to judge: compressed
  })
})
