import {mkdir, mkdtemp, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {useParseCache} from '../../../src/lib/config/parse-cache.js'
import {VerificationCache} from '../../../src/lib/signing/verification-cache.js'

const digest = (c: string) => `sha256:${c.repeat(64)}`
const subject = digest('a')
const key = digest('b')
const otherKey = digest('c')
const referrer = digest('d')

let dir: string
let cache: VerificationCache
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'trust-cache-'))
  // Entries are signed with the per-home key, as a command's session sets it up.
  useParseCache(path.join(dir, 'parsed'), path.join(dir, 'home', 'cache.key'))
  cache = new VerificationCache(dir)
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const entryFile = (s = subject, k = key) => path.join(dir, 'signatures', s.slice(7), `${k.slice(7)}.json`)

describe('verification cache', () => {
  it('misses, then hits after a verified pair is recorded, under <oci cache>/signatures', async () => {
    expect(await cache.has(subject, key)).toBe(false)
    await cache.record({subject, key, referrer})
    expect(await cache.has(subject, key)).toBe(true)
    expect(JSON.parse(await readFile(entryFile(), 'utf8'))).toEqual({version: 2, subject, key, referrer, mac: expect.stringMatching(/^[0-9a-f]{64}$/)})
    // A fresh instance over the same folder (the next run) sees it too.
    expect(await new VerificationCache(dir).has(subject, key)).toBe(true)
  })

  it('does not believe an entry signed under another home key (a cache/ folder restored from elsewhere)', async () => {
    await cache.record({subject, key, referrer})
    const written = await readFile(entryFile(), 'utf8')
    useParseCache(path.join(dir, 'parsed'), path.join(dir, 'other-home', 'cache.key'))
    expect(await cache.has(subject, key)).toBe(false)
    await cache.record({subject, key, referrer})
    expect(await readFile(entryFile(), 'utf8')).not.toBe(written)
    expect(await cache.has(subject, key)).toBe(true)
  })

  it('keys results by manifest and key: another key or another manifest is a miss', async () => {
    await cache.record({subject, key, referrer})
    expect(await cache.has(subject, otherKey)).toBe(false)
    expect(await cache.has(digest('e'), key)).toBe(false)
  })

  it.each([
    ['garbage', 'not json'],
    ['another pair in the right file', JSON.stringify({version: 1, subject: digest('e'), key, referrer})],
    ['another key in the right file', JSON.stringify({version: 1, subject, key: otherKey, referrer})],
    ['a bad referrer', JSON.stringify({version: 1, subject, key, referrer: 'sha256:xyz'})],
    ['an unknown version', JSON.stringify({version: 3, subject, key, referrer, mac: 'ab'.repeat(32)})],
    ['an unsigned entry (version 1)', JSON.stringify({version: 1, subject, key, referrer})],
    ['a forged signature', JSON.stringify({version: 2, subject, key, referrer, mac: 'ab'.repeat(32)})],
    ['extra fields', JSON.stringify({version: 1, subject, key, referrer, trusted: true})],
    ['a list', JSON.stringify([subject, key])],
    ['an oversized entry', JSON.stringify({version: 1, subject, key, referrer, pad: 'x'.repeat(4096)})],
  ])('ignores a corrupt entry (%s), and a later record rewrites it', async (_what, text) => {
    await mkdir(path.dirname(entryFile()), {recursive: true})
    await writeFile(entryFile(), text)
    expect(await cache.has(subject, key)).toBe(false)
    await cache.record({subject, key, referrer})
    expect(await cache.has(subject, key)).toBe(true)
  })

  it('never follows a link in place of an entry', async () => {
    const elsewhere = path.join(dir, 'elsewhere.json')
    await writeFile(elsewhere, JSON.stringify({version: 1, subject, key, referrer}))
    await mkdir(path.dirname(entryFile()), {recursive: true})
    await symlink(elsewhere, entryFile())
    expect(await cache.has(subject, key)).toBe(false)
  })

  it('refuses malformed digests without touching the file system', async () => {
    expect(await cache.has('sha256:../../etc', key)).toBe(false)
    await cache.record({subject: '../x', key, referrer})
    await expect(readFile(path.join(dir, 'signatures'), 'utf8')).rejects.toMatchObject({code: 'ENOENT'})
  })
})
