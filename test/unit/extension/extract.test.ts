import {execFileSync} from 'node:child_process'
import {lstat, mkdir, readdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'
import zlib from 'node:zlib'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {DEFAULT_ARCHIVE_LIMITS, extractArchive} from '../../../src/lib/extension/extract.js'
import {expectProvisioningError, makeTempDir, rawTar, rawTarGz, type RawEntry, snapshotTree, writeTree} from './helpers.js'

/** rawTarGz, with a GNU long-name entry (type L) before every header whose path needs one. */
function gnuLongNames(entries: RawEntry[]): Buffer {
  return zlib.gzipSync(
    rawTar(
      entries.flatMap((entry) => {
        if (Buffer.byteLength(entry.path) <= 100) return [entry]
        return [
          {path: '././@LongLink', type: 'NextFileHasLongPath' as const, data: `${entry.path}\0`},
          {...entry, path: entry.path.slice(0, 100)},
        ]
      }),
    ),
  )
}

let root: string
let cleanup: () => Promise<void>
/** Where archives go: <root>/installs/redis. A sibling folder, <root>/outside, is the attacker's target. */
let installs: string
let dest: string
let outside: string

beforeEach(async () => {
  ;({root, cleanup} = await makeTempDir())
  installs = path.join(root, 'installs')
  dest = path.join(installs, 'redis')
  outside = path.join(root, 'outside')
  await mkdir(outside)
  // A previous install that must survive every rejected archive untouched.
  await writeTree(dest, {'manifest.yaml': 'name: redis\ntype: taskserv\nversion: 1.0.0\n', 'scripts/install.sh': 'old\n'})
})
afterEach(async () => cleanup())

const manifestEntry: RawEntry = {path: 'manifest.yaml', data: 'name: redis\ntype: taskserv\nversion: 2.0.0\n'}

/**
 * Extracts a hostile archive and checks the whole contract: IntegrityError (exit 8),
 * dest exactly as before, nothing in the attacker's folder, no temp folder left beside dest.
 */
async function expectRejected(data: Buffer, limits = {}): Promise<string> {
  const before = await snapshotTree(dest)
  const error = await expectProvisioningError(() => extractArchive(data, dest, limits))
  expect(error.exit).toBe(8)
  expect(error.code).toBe('E_INTEGRITY')
  expect(error.hint).toBeTruthy()
  expect(await snapshotTree(dest)).toEqual(before)
  expect(await readdir(outside)).toEqual([])
  expect(await readdir(installs)).toEqual(['redis'])
  return error.message
}

describe('extractArchive: hostile archives', () => {
  it('rejects a "../" path', async () => {
    const message = await expectRejected(rawTarGz([manifestEntry, {path: '../outside/evil', data: 'x'}]))
    expect(message).toContain('"../outside/evil"')
    expect(message).toContain('".." segment')
  })

  it('rejects a ".." hidden in the middle of a path', async () => {
    await expectRejected(rawTarGz([{path: 'docs/../../outside/evil', data: 'x'}]))
  })

  it('rejects an absolute path', async () => {
    const target = path.join(outside, 'abs')
    const message = await expectRejected(rawTarGz([manifestEntry, {path: target, data: 'x'}]))
    expect(message).toContain('absolute path')
  })

  it('rejects a symlink pointing out, and never writes a file through it', async () => {
    const message = await expectRejected(
      rawTarGz([manifestEntry, {path: 'docs', type: 'SymbolicLink', linkpath: '../../outside'}, {path: 'docs/evil.sh', data: 'pwned'}]),
    )
    expect(message).toContain('"docs"')
    expect(message).toContain('outside the extension folder')
  })

  it('rejects a file written through an earlier symlink even when that symlink points inside', async () => {
    const message = await expectRejected(
      rawTarGz([
        manifestEntry,
        {path: 'real/', type: 'Directory', mode: 0o755},
        {path: 'alias', type: 'SymbolicLink', linkpath: 'real'},
        {path: 'alias/x', data: 'x'},
      ]),
    )
    expect(message).toContain('would be written through the symlink "alias"')
  })

  it('rejects absolute symlink targets and the "c -> ." then "c/../x" escape', async () => {
    await expectRejected(rawTarGz([{path: 'etc-passwd', type: 'SymbolicLink', linkpath: '/etc/passwd'}]))
    await expectRejected(
      rawTarGz([
        {path: 'c', type: 'SymbolicLink', linkpath: '.'},
        {path: 'a', type: 'SymbolicLink', linkpath: 'c/../../outside'},
      ]),
    )
    await expectRejected(rawTarGz([{path: 'a', type: 'SymbolicLink', linkpath: 'c/../x'}]))
  })

  it('rejects hardlinks out of the root or to anything not extracted before', async () => {
    const passwd = await expectRejected(rawTarGz([manifestEntry, {path: 'passwd', type: 'Link', linkpath: '/etc/passwd'}]))
    expect(passwd).toContain('hardlink')
    await expectRejected(rawTarGz([manifestEntry, {path: 'up', type: 'Link', linkpath: '../outside/x'}]))
    await expectRejected(rawTarGz([manifestEntry, {path: 'dangling', type: 'Link', linkpath: 'not-in-archive'}]))
    // A hardlink to a symlink would give a second name to whatever the symlink names.
    await expectRejected(
      rawTarGz([
        {path: 'l', type: 'SymbolicLink', linkpath: 'manifest.yaml'},
        {path: 'h', type: 'Link', linkpath: 'l'},
      ]),
    )
  })

  it('rejects character and block devices and FIFOs', async () => {
    const chr = await expectRejected(rawTarGz([manifestEntry, {path: 'null', type: 'CharacterDevice', devmaj: 1, devmin: 3}]))
    expect(chr).toContain('character device')
    expect(await expectRejected(rawTarGz([{path: 'sda', type: 'BlockDevice', devmaj: 8, devmin: 0}]))).toContain('block device')
    expect(await expectRejected(rawTarGz([manifestEntry, {path: 'scripts/pipe', type: 'FIFO'}]))).toContain('FIFO')
  })

  it('rejects a 1000x decompression bomb early, without writing it out', async () => {
    const fiftyMegabytes = Buffer.alloc(50 * 1024 * 1024)
    const bomb = rawTarGz([manifestEntry, {path: 'zeros.bin', data: fiftyMegabytes}])
    expect(bomb.length * 500).toBeLessThan(fiftyMegabytes.length) // far beyond the 200x default
    const before = Date.now()
    const error = await expectProvisioningError(() => extractArchive(bomb, dest))
    expect(error.exit).toBe(8)
    expect(error.message).toContain('decompression bomb')
    expect(error.message).toContain(`${DEFAULT_ARCHIVE_LIMITS.maxRatio}x`)
    // Stopped at about 200x the compressed size, i.e. a fraction of the 50 MB.
    expect(error.details.uncompressedBytes as number).toBeLessThan(fiftyMegabytes.length / 2)
    expect(Date.now() - before).toBeLessThan(10_000)
    expect(await readdir(installs)).toEqual(['redis'])
    expect(await readFile(path.join(dest, 'scripts', 'install.sh'), 'utf8')).toBe('old\n')
  })

  it('enforces maxBytes and maxEntries', async () => {
    const big = rawTarGz([{path: 'big.bin', data: Buffer.alloc(64 * 1024, 7)}])
    expect(await expectRejected(big, {maxBytes: 32 * 1024})).toContain('declares 65536 bytes')
    // Each file fits, the sum does not: caught either by the declared sizes or by the stream counter.
    const spread = rawTarGz(Array.from({length: 8}, (_, i) => ({path: `part${i}`, data: Buffer.alloc(8 * 1024, i)})))
    expect(await expectRejected(spread, {maxBytes: 32 * 1024})).toMatch(/limit of the archive|uncompressed bytes/)
    // Headers that understate sizes cannot fool the stream counter: a 40 KiB tar of many tiny entries.
    const headersOnly = rawTarGz(Array.from({length: 40}, (_, i) => ({path: `d${i}/`, type: 'Directory' as const})))
    expect(await expectRejected(headersOnly, {maxBytes: 16 * 1024})).toContain('more than 16384 uncompressed bytes')
    const many = rawTarGz(Array.from({length: 30}, (_, i) => ({path: `f${i}`, data: 'x'})))
    expect(await expectRejected(many, {maxEntries: 10})).toContain('more than 10 entries')
  })

  it('rejects corrupt, truncated, doubly compressed and non-gzip data', async () => {
    const good = rawTarGz([manifestEntry, {path: 'docs/a.md', data: 'a'.repeat(5000)}])
    expect(await expectRejected(good.subarray(0, good.length - 20))).toContain('corrupt')
    const flipped = Buffer.from(good)
    flipped[40] ^= 0xff
    await expectRejected(flipped)
    await expectRejected(zlib.gzipSync(good))
    // A well-formed gzip of a tar stream that stops in the middle of a file body.
    const tar = rawTar([manifestEntry, {path: 'docs/a.md', data: 'a'.repeat(5000)}])
    expect(await expectRejected(zlib.gzipSync(tar.subarray(0, 1024 + 512 + 2048)))).toContain('Truncated')
    await expectRejected(rawTar([manifestEntry]))
    await expectRejected(Buffer.from('not an archive at all'))
    await expectRejected(zlib.gzipSync(Buffer.from('gzip, but not of a tar stream'.repeat(40))))
  })

  it('rejects a tar header with a bad checksum', async () => {
    const tar = rawTar([manifestEntry, {path: 'docs/a.md', data: 'a'}])
    tar[1024 + 10] = 'X'.charCodeAt(0) // inside the second header's name field
    await expectRejected(zlib.gzipSync(tar))
  })

  it('rejects duplicate entries instead of overwriting', async () => {
    const message = await expectRejected(rawTarGz([manifestEntry, {...manifestEntry, data: 'second'}]))
    expect(message).toContain('appears twice')
    await expectRejected(
      rawTarGz([
        {path: 'x', data: 'file'},
        {path: 'x/', type: 'Directory'},
      ]),
    )
  })

  it('rejects names longer than the file system takes (a 300-byte segment, a path over 1024 bytes), naming the entry', async () => {
    const long = 'n'.repeat(300)
    const tooLong = await expectRejected(gnuLongNames([manifestEntry, {path: `docs/${long}`, data: 'x'}]))
    expect(tooLong).toContain(`"docs/${long}"`)
    expect(tooLong).toContain('longer than 255 bytes')
    const deep = Array.from({length: 103}, () => 'abcdefghi').join('/')
    expect(await expectRejected(gnuLongNames([manifestEntry, {path: deep, data: 'x'}]))).toContain('longer than 1024 bytes')
  })

  it('rejects an entry whose full path passes PATH_MAX below a deep destination, leaving nothing', async () => {
    const deepDest = path.join(root, ...Array.from({length: 16}, () => 'd'.repeat(200)), 'redis')
    const entry = Array.from({length: 5}, () => 'e'.repeat(200)).join('/')
    const error = await expectProvisioningError(() => extractArchive(gnuLongNames([manifestEntry, {path: entry, data: 'x'}]), deepDest))
    expect(error.exit).toBe(8)
    expect(error.message).toContain(`"${entry}": has a path too long for this file system`)
    expect((await readdir(root)).sort()).toEqual(['installs', 'outside'])
  })

  it('rejects an archive without manifest.yaml at its root (none, only nested, or a symlink)', async () => {
    const none = await expectRejected(rawTarGz([{path: 'kcl/redis.k', data: 'x'}]))
    expect(none).toContain(`archive for ${dest} has no manifest.yaml at its root`)
    const nested = await expectProvisioningError(() => extractArchive(rawTarGz([{path: 'redis/manifest.yaml', data: 'x'}]), dest))
    expect(nested.hint).toContain('it has redis/manifest.yaml: entries must be relative to the extension folder')
    await expectRejected(
      rawTarGz([
        {path: 'real.yaml', data: 'x'},
        {path: 'manifest.yaml', type: 'SymbolicLink', linkpath: 'real.yaml'},
      ]),
    )
  })

  it('leaves no trace when dest did not exist and its parents had to be created', async () => {
    const fresh = path.join(root, 'new', 'deeper', 'redis')
    await expectProvisioningError(() => extractArchive(rawTarGz([{path: '../evil', data: 'x'}]), fresh))
    expect((await readdir(root)).sort()).toEqual(['installs', 'outside'])
  })
})

describe('extractArchive: normal archives', () => {
  it('replaces an existing dest as a whole and leaves no temp or old folder behind', async () => {
    const result = await extractArchive(
      rawTarGz([
        {path: 'kcl/', type: 'Directory', mode: 0o755},
        manifestEntry,
        {path: 'kcl/redis.k', data: 'schema Redis:\n'},
        {path: 'scripts/run.sh', data: '#!/bin/sh\n', mode: 0o755},
        {path: 'empty.txt', data: ''},
        {path: 'docs/readme-link', type: 'SymbolicLink', linkpath: '../kcl/redis.k'},
        {path: 'kcl/hard.k', type: 'Link', linkpath: 'kcl/redis.k'},
      ]),
      dest,
    )
    expect(result.files).toEqual(['manifest.yaml', 'kcl/redis.k', 'scripts/run.sh', 'empty.txt', 'docs/readme-link', 'kcl/hard.k'])
    expect(result.bytes).toBe(manifestEntry.data!.length + 'schema Redis:\n'.length + '#!/bin/sh\n'.length)
    expect(await snapshotTree(dest)).toEqual({
      docs: {kind: 'dir', mode: 0o755},
      'docs/readme-link': {kind: 'symlink', mode: 0, target: '../kcl/redis.k'},
      'empty.txt': {kind: 'file', mode: 0o644, content: ''},
      kcl: {kind: 'dir', mode: 0o755},
      'kcl/hard.k': {kind: 'file', mode: 0o644, content: 'schema Redis:\n'},
      'kcl/redis.k': {kind: 'file', mode: 0o644, content: 'schema Redis:\n'},
      'manifest.yaml': {kind: 'file', mode: 0o644, content: manifestEntry.data},
      scripts: {kind: 'dir', mode: 0o755},
      'scripts/run.sh': {kind: 'file', mode: 0o755, content: '#!/bin/sh\n'},
    })
    expect(await readdir(installs)).toEqual(['redis'])
    expect((await stat(dest)).mode & 0o777).toBe(0o755)
    expect((await stat(path.join(dest, 'kcl', 'hard.k'))).nlink).toBe(2)
  })

  it('strips setuid/setgid/sticky bits and keeps folders listable by the owner', async () => {
    await extractArchive(
      rawTarGz([
        manifestEntry,
        {path: 'locked/', type: 'Directory', mode: 0o555},
        {path: 'locked/inside.txt', data: 'x', mode: 0o444},
        {path: 'suid', data: 'x', mode: 0o4755},
      ]),
      dest,
    )
    expect((await lstat(path.join(dest, 'suid'))).mode & 0o7777).toBe(0o755)
    expect((await lstat(path.join(dest, 'locked'))).mode & 0o777).toBe(0o755)
    expect((await lstat(path.join(dest, 'locked', 'inside.txt'))).mode & 0o777).toBe(0o644)
  })

  it('accepts archives made by GNU tar ("./" prefixes, hardlinks, long names)', async () => {
    const source = path.join(root, 'src')
    const long = `docs/${'x'.repeat(120)}/${'y'.repeat(120)}.md`
    await writeTree(source, {'manifest.yaml': 'name: a\ntype: cluster\nversion: 1.0.0\n', 'kcl/a.k': 'a', [long]: 'long'})
    execFileSync('ln', [path.join(source, 'kcl', 'a.k'), path.join(source, 'kcl', 'b.k')])
    const archive = path.join(root, 'gnu.tar.gz')
    execFileSync('tar', ['-czf', archive, '-C', source, '.'])
    const fresh = path.join(installs, 'gnu')
    const result = await extractArchive(await readFile(archive), fresh)
    expect(await snapshotTree(fresh)).toEqual(await snapshotTree(source))
    expect(result.files).toEqual(expect.arrayContaining(['manifest.yaml', 'kcl/a.k', 'kcl/b.k', long]))
  })
})
