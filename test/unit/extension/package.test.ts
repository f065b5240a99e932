import {execFileSync} from 'node:child_process'
import {chmod, chown, cp, mkdir, readdir, readFile, rm, utimes, writeFile} from 'node:fs/promises'
import path from 'node:path'
import zlib from 'node:zlib'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {extractArchive} from '../../../src/lib/extension/extract.js'
import {packageExtension, resolveSourceDateEpoch, writePackage} from '../../../src/lib/extension/package.js'
import {expectProvisioningError, isRoot, makeTempDir, snapshotTree, writeTree, writeValidExtension} from './helpers.js'

let root: string
let cleanup: () => Promise<void>
let ext: string

beforeEach(async () => {
  ;({root, cleanup} = await makeTempDir())
  ext = path.join(root, 'redis')
  await writeValidExtension(ext, {'docs/guide/link.md': {symlink: '../README.md'}})
})
afterEach(async () => cleanup())

/** `tar -tv` of an archive through the system tar, with numeric owners and full times. */
function systemTarListing(file: string): string[] {
  return execFileSync('tar', ['--numeric-owner', '--full-time', '-tvzf', file], {encoding: 'utf8', env: {...process.env, TZ: 'UTC', LC_ALL: 'C'}})
    .trim()
    .split('\n')
}

describe('packageExtension', () => {
  it('gives byte-identical output whatever the mtimes, modes, owners and creation order', async () => {
    const first = await packageExtension(ext, {env: {}})

    // A second copy made differently: other mtimes, a 0600 vs 0644 plain file, a 0700 vs
    // 0755 script, 0700 folders, files created in reverse order, other owners when root.
    const copy = path.join(root, 'copy', 'redis')
    await mkdir(copy, {recursive: true})
    const names = (await readdir(ext, {recursive: true})).sort().reverse()
    for (const name of names) await cp(path.join(ext, name), path.join(copy, name), {recursive: true, verbatimSymlinks: true, force: true})
    await chmod(path.join(copy, 'docs', 'README.md'), 0o600)
    await chmod(path.join(copy, 'scripts', 'install.sh'), 0o700)
    await chmod(path.join(copy, 'kcl'), 0o700)
    for (const [index, name] of names.entries()) {
      const when = new Date(Date.UTC(2020, 0, 1) + index * 3_600_000)
      await utimes(path.join(copy, name), when, when).catch(() => undefined) // symlinks: lutimes not needed, mtime is never read
      if (isRoot) await chown(path.join(copy, name), 1234, 5678).catch(() => undefined)
    }
    const second = await packageExtension(copy, {env: {}})

    expect(second.digest).toBe(first.digest)
    expect(second.data.equals(first.data)).toBe(true)
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(first.size).toBe(first.data.length)
    expect(first.uncompressedSize).toBe(zlib.gunzipSync(first.data).length)
    expect(first.fileName).toBe('redis-7.2.0.tar.gz')
    expect(first.manifest.name).toBe('redis')
  })

  it('writes a gzip header without timestamp or name and a pinned OS byte', async () => {
    const {data} = await packageExtension(ext, {env: {}})
    expect([...data.subarray(0, 3)]).toEqual([0x1f, 0x8b, 8]) // magic, deflate
    expect(data[3]).toBe(0) // flags: no FNAME, FCOMMENT, FEXTRA, FHCRC
    expect([...data.subarray(4, 8)]).toEqual([0, 0, 0, 0]) // MTIME
    expect(data[9]).toBe(3) // OS = Unix on every platform
  })

  it('honours SOURCE_DATE_EPOCH, the explicit option first, and the epoch by default', async () => {
    const out = path.join(root, 'out')
    const fromEnv = await writePackage(ext, out, {env: {SOURCE_DATE_EPOCH: '1700000000'}})
    const listing = systemTarListing(fromEnv.path)
    expect(listing.every((line) => line.includes('2023-11-14 22:13:20'))).toBe(true)

    const byDefault = await packageExtension(ext, {env: {}})
    expect(byDefault.digest).not.toBe(fromEnv.digest)
    const explicit = await packageExtension(ext, {sourceDateEpoch: 1700000000, env: {SOURCE_DATE_EPOCH: '5'}})
    expect(explicit.digest).toBe(fromEnv.digest)

    expect(resolveSourceDateEpoch(undefined, {})).toBe(0)
    expect(resolveSourceDateEpoch(undefined, {SOURCE_DATE_EPOCH: ' '})).toBe(0)
    for (const bad of ['yesterday', '-1', '1.5']) {
      expect((await expectProvisioningError(async () => resolveSourceDateEpoch(undefined, {SOURCE_DATE_EPOCH: bad}))).exit).toBe(3)
    }
  })

  it('produces an archive the system tar reads: relative sorted entries, folders with a slash, root owner, normalized modes', async () => {
    await chmod(path.join(ext, 'docs', 'README.md'), 0o600)
    const written = await writePackage(ext, path.join(root, 'out'), {env: {}})
    expect(written.path).toBe(path.join(root, 'out', 'redis-7.2.0.tar.gz'))
    expect(await readdir(path.join(root, 'out'))).toEqual(['redis-7.2.0.tar.gz']) // no temp file left

    const lines = systemTarListing(written.path)
    const names = lines.map((line) => line.split(/\s+/).slice(5).join(' '))
    expect(names).toEqual([
      'README.md',
      'docs/',
      'docs/README.md',
      'docs/guide/',
      'docs/guide/link.md -> ../README.md',
      'kcl/',
      'kcl/kcl.mod',
      'kcl/redis.k',
      'manifest.yaml',
      'scripts/',
      'scripts/install.sh',
      'templates/',
      'templates/redis.conf.j2',
      'tests/',
      'tests/smoke.sh',
    ])
    const modeOf = (name: string) => lines.find((line) => line.endsWith(` ${name}`) || line.includes(` ${name} ->`))?.split(/\s+/)[0]
    expect(modeOf('docs/')).toBe('drwxr-xr-x')
    expect(modeOf('docs/README.md')).toBe('-rw-r--r--') // was 0600
    expect(modeOf('scripts/install.sh')).toBe('-rwxr-xr-x')
    expect(modeOf('docs/guide/link.md')).toBe('lrwxrwxrwx')
    expect(lines.every((line) => line.split(/\s+/)[1] === '0/0')).toBe(true)
  })

  it('stores long and non-ASCII paths through pax records that carry no atime/ctime', async () => {
    const deep = `docs/${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(90)}/café.md`
    await writeTree(ext, {[deep]: 'long\n'})
    const written = await writePackage(ext, path.join(root, 'out'), {env: {}})
    // LC_ALL=C makes GNU tar print non-ASCII bytes as octal escapes.
    const printed = deep.replace('é', String.raw`\303\251`)
    expect(systemTarListing(written.path).some((line) => line.endsWith(printed))).toBe(true)
    const tar = zlib.gunzipSync(await readFile(written.path)).toString('latin1')
    expect(tar).toContain('PaxHeader')
    expect(tar).not.toMatch(/atime=|ctime=|uid=|uname=|SCHILY/)
  })

  it('round-trips through extractArchive with identical files, links and modes', async () => {
    const {data} = await packageExtension(ext, {env: {}})
    const dest = path.join(root, 'installed', 'redis')
    const result = await extractArchive(data, dest)
    expect(await snapshotTree(dest)).toEqual(await snapshotTree(ext))
    expect(result.files).toContain('manifest.yaml')
    expect(result.files).toContain('docs/guide/link.md')
    expect(result.bytes).toBeGreaterThan(0)
  })

  it('refuses an invalid folder with the validation error (exit 10) and writes nothing', async () => {
    await writeFile(path.join(ext, 'manifest.yaml'), 'name: redis\ntype: taskserv\n')
    await writeTree(root, {'secret.txt': 'x'})
    await writeTree(ext, {'docs/out': {symlink: '../../secret.txt'}})
    const out = path.join(root, 'out')
    const error = await expectProvisioningError(() => writePackage(ext, out))
    expect(error.exit).toBe(10)
    expect(error.message).toContain('version')
    expect(error.message).toContain('docs/out')
    await expect(readdir(out)).rejects.toThrow()
    await rm(path.join(ext, 'docs', 'out'))
  })
})
