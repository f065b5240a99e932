import {execFileSync} from 'node:child_process'
import {createHmac} from 'node:crypto'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {useParseCache} from '../../../src/lib/config/parse-cache.js'
import {candidateFrom} from '../../../src/lib/deps/candidate.js'
import {type LocalCatalog, type LocalRecord, readLocalCatalog} from '../../../src/lib/deps/local-catalog.js'
import {ProvisioningError} from '../../../src/lib/errors.js'
import {parseManifestYaml} from '../../../src/lib/extension/manifest.js'

/**
 * readLocalCatalog on real folders: the same catalog as a plain sequential read, in an order
 * that does not depend on the file system, every invalid manifest reported, untrusted files
 * refused at once, and a parse cache that never answers for content it did not validate.
 */

type Manifest = {name: string; version: string; [field: string]: unknown}

const manifestText = (m: Manifest) => YAML.stringify({type: 'taskserv', description: `${m.name} for tests`, ...m})

function writeManifest(dir: string, manifest: Manifest | string): string {
  mkdirSync(dir, {recursive: true})
  const file = path.join(dir, 'manifest.yaml')
  writeFileSync(file, typeof manifest === 'string' ? manifest : manifestText(manifest))
  return file
}

/**
 * The catalog read the plain way, one file after the other, as the first implementation
 * did (names and versions in byte order): what the fast reader must agree with.
 */
function sequentialRecords(root: string): LocalRecord[] {
  const out: LocalRecord[] = []
  const sorted = (dir: string) => readdirSync(dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const group of ['providers', 'taskservs', 'clusters']) {
    let names
    try {
      names = sorted(path.join(root, group))
    } catch {
      continue
    }
    for (const entry of names.filter((e) => e.isDirectory())) {
      const dir = path.join(root, group, entry.name)
      const add = (at: string) => {
        const file = path.join(at, 'manifest.yaml')
        const {manifest} = parseManifestYaml(readFileSync(file, 'utf8'))
        if (!manifest) throw new Error(`${file} is invalid`)
        out.push({candidate: candidateFrom(manifest, {name: entry.name, tag: manifest.version, where: file}), dir: at})
      }
      const inside = sorted(dir)
      if (inside.some((e) => e.name === 'manifest.yaml')) add(dir)
      else
        for (const version of inside.filter((e) => e.isDirectory() && statSync(path.join(dir, e.name, 'manifest.yaml'), {throwIfNoEntry: false})?.isFile()))
          add(path.join(dir, version.name))
    }
  }
  return out
}

/** Everything a catalog answers, comparable with toEqual (versions in the order given). */
function snapshot(catalog: LocalCatalog, names: string[]) {
  return {records: catalog.records(), versions: Object.fromEntries(names.map((n) => [n, catalog.versions(n)?.map((c) => c.version)]))}
}

async function failure(promise: Promise<unknown>): Promise<ProvisioningError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ProvisioningError)
  return error as ProvisioningError
}

describe('readLocalCatalog', () => {
  let root: string
  let src: string
  let cacheDir: string
  let keyFile: string
  const cacheEntries = () => readdirSync(cacheDir).filter((name) => name.endsWith('.json'))
  const readEntry = (file: string) =>
    JSON.parse(readFileSync(file, 'utf8').split('\n').slice(1).join('\n')) as {key: string; data: {items: Record<string, unknown[]>}; lines: object}
  const writeEntry = (file: string, entry: unknown, key = readFileSync(keyFile)) => {
    const payload = JSON.stringify(entry)
    writeFileSync(file, `${createHmac('sha256', key).update(payload).digest('hex')}\n${payload}`)
  }

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'local-catalog-'))
    src = path.join(root, 'src')
    cacheDir = path.join(root, 'home', 'cache', 'parsed')
    keyFile = path.join(root, 'home', 'cache.key')
    useParseCache(cacheDir, keyFile)
  })
  afterEach(() => {
    useParseCache(undefined)
    rmSync(root, {recursive: true, force: true})
  })

  /** Flat and versioned layouts in every group, versions created out of order. */
  function mixedTree(): string[] {
    writeManifest(path.join(src, 'providers', 'aws'), {name: 'aws', type: 'provider', version: '2.1.0'})
    for (const v of ['1.10.0', '1.2.0', '1.9.3', '0.9.0-rc.1']) {
      writeManifest(path.join(src, 'taskservs', 'kubernetes', v), {name: 'kubernetes', version: v, dependencies: {containerd: '>=1.6'}, optional: ['cilium']})
    }
    for (const v of ['1.7.0', '1.6.9']) writeManifest(path.join(src, 'taskservs', 'containerd', v), {name: 'containerd', version: v, conflicts: {docker: '*'}})
    writeManifest(path.join(src, 'taskservs', 'cilium'), {name: 'cilium', version: '1.14.2', min_provisioning_version: '0.1.0'})
    writeManifest(path.join(src, 'clusters', 'k8s-basic', '1.0.0'), {name: 'k8s-basic', type: 'cluster', version: '1.0.0', dependencies: {kubernetes: '^1.9'}})
    // Not extensions: a loose file, a version folder without a manifest, an unknown group.
    writeFileSync(path.join(src, 'taskservs', 'README.md'), 'notes\n')
    mkdirSync(path.join(src, 'taskservs', 'containerd', 'drafts'), {recursive: true})
    writeManifest(path.join(src, 'widgets', 'w'), {name: 'w', version: '1.0.0'})
    return ['aws', 'kubernetes', 'containerd', 'cilium', 'k8s-basic', 'w', 'nothing']
  }

  it('reads flat and versioned layouts as a sequential read does, in byte order whatever the file system lists', async () => {
    const names = mixedTree()
    const catalog = await readLocalCatalog(src)
    expect(catalog.records()).toEqual(
      [...sequentialRecords(src)].sort(
        (a, b) => a.candidate.name.localeCompare(b.candidate.name) || a.candidate.version.localeCompare(b.candidate.version, 'en', {numeric: true}),
      ),
    )
    const view = snapshot(catalog, names)
    expect(view.versions).toEqual({
      aws: ['2.1.0'],
      kubernetes: ['0.9.0-rc.1', '1.10.0', '1.2.0', '1.9.3'],
      containerd: ['1.6.9', '1.7.0'],
      cilium: ['1.14.2'],
      'k8s-basic': ['1.0.0'],
      w: undefined,
      nothing: undefined,
    })
    expect(catalog.versions('kubernetes')?.[1]).toMatchObject({
      name: 'kubernetes',
      version: '1.10.0',
      tag: '1.10.0',
      type: 'taskserv',
      dependencies: {containerd: '>=1.6'},
      optional: {cilium: '*'},
      conflicts: {},
    })
    expect(catalog.versions('cilium')?.[0].minProvisioningVersion).toBe('0.1.0')
    expect(catalog.record('aws', '2.1.0')?.dir).toBe(path.join(src, 'providers', 'aws'))
    expect(catalog.record('kubernetes', '1.9.3')?.dir).toBe(path.join(src, 'taskservs', 'kubernetes', '1.9.3'))
    expect(catalog.whereIs('anything')).toEqual({text: `the local source ${src}`})

    // From the cache (one entry for the whole source), the same answers in the same order.
    expect(cacheEntries()).toHaveLength(1)
    expect(snapshot(await readLocalCatalog(src), names)).toEqual(view)
    // Without a cache too.
    useParseCache(undefined)
    expect(snapshot(await readLocalCatalog(src), names)).toEqual(view)
  })

  it('reports every invalid manifest at once (exit 3), each with its reasons', async () => {
    writeManifest(path.join(src, 'taskservs', 'good'), {name: 'good', version: '1.0.0'})
    const bad = {
      syntax: writeManifest(path.join(src, 'taskservs', 'syntax'), 'name: syntax\nversion: "1.0.0\n'),
      self: writeManifest(path.join(src, 'taskservs', 'self', '1.0.0'), {name: 'self', version: '1.0.0', dependencies: {self: '*'}}),
      notype: writeManifest(path.join(src, 'providers', 'notype'), {name: 'notype', version: '1.0.0', type: null}),
      impostor: writeManifest(path.join(src, 'clusters', 'impostor'), {name: 'good', version: '2.0.0', type: 'cluster'}),
      twice: writeManifest(path.join(src, 'taskservs', 'good-copy', 'x'), {name: 'good-copy', version: '1.0.0'}),
    }
    writeManifest(path.join(src, 'taskservs', 'good-copy', 'y'), {name: 'good-copy', version: '1.0.0', description: 'the same version again'})
    const error = await failure(readLocalCatalog(src))
    expect(error.exit).toBe(3)
    expect(error.code).toBe('E_CONFIG')
    expect(error.message.split('\n')[0]).toBe(`5 manifests of the local extension source ${src} are invalid:`)
    for (const file of Object.values(bad).filter((f) => f !== bad.twice)) expect(error.message).toContain(`  ${file}:`)
    expect(error.message).toContain(
      `  ${path.join(src, 'taskservs', 'good-copy', 'y', 'manifest.yaml')}:\n    - version: good-copy@1.0.0 is also at ${bad.twice}`,
    )
    expect(error.message).toContain(`  ${bad.self}:\n    - dependencies.self: the extension "self" lists itself in dependencies`)
    expect(error.message).toContain('    - type: type is required')
    expect(error.message).toContain('    - name: name "good" differs from its folder "impostor"')
    expect(error.message).toMatch(/ {4}- manifest\.yaml: YAML syntax error: /)
    const details = error.details as {source: string; invalid: number; files: Array<{where: string; problems: string[]}>}
    expect(details.source).toBe(src)
    expect(details.invalid).toBe(5)
    expect(details.files.map((f) => f.where)).toEqual([
      bad.notype,
      path.join(src, 'taskservs', 'good-copy', 'y', 'manifest.yaml'),
      bad.self,
      bad.syntax,
      bad.impostor,
    ])
    // The valid manifests were cached all the same (good and both good-copy: a version found
    // twice is a fact about the folder, checked on every read); a second run with nothing
    // changed rewrites nothing.
    const [entry] = cacheEntries()
    expect(Object.keys(readEntry(path.join(cacheDir, entry)).data.items)).toHaveLength(3)
    const {ino} = statSync(path.join(cacheDir, entry))
    expect((await failure(readLocalCatalog(src))).message).toBe(error.message)
    expect(statSync(path.join(cacheDir, entry)).ino).toBe(ino)

    // One invalid file keeps the single-manifest shape (as a registry's config blob gets).
    rmSync(path.join(src, 'taskservs'), {recursive: true})
    rmSync(path.join(src, 'clusters'), {recursive: true})
    const one = await failure(readLocalCatalog(src))
    expect(one.exit).toBe(3)
    expect(one.message).toBe(`${bad.notype} has invalid extension metadata:\n  - type: type is required`)
    expect(one.details).toEqual({where: bad.notype, problems: ['type: type is required']})
  })

  it('lists at most 20 files, and says how many more', async () => {
    for (let i = 0; i < 25; i++)
      writeManifest(path.join(src, 'taskservs', `e${String(i).padStart(2, '0')}`), {name: `e${String(i).padStart(2, '0')}`, version: 'one'})
    const error = await failure(readLocalCatalog(src))
    expect(error.message.split('\n')[0]).toBe(`25 manifests of the local extension source ${src} are invalid:`)
    expect(error.message).toContain('e19/manifest.yaml:')
    expect(error.message).not.toContain('e20/manifest.yaml:')
    expect(error.message.endsWith('  … and 5 more file(s)')).toBe(true)
    expect((error.details.files as unknown[]).length).toBe(25)
  })

  it('refuses a FIFO, a link (to /dev/zero) and an oversized manifest at once (exit 3, naming each file)', async () => {
    writeManifest(path.join(src, 'taskservs', 'good'), {name: 'good', version: '1.0.0'})
    const fifo = path.join(src, 'taskservs', 'fifo', 'manifest.yaml')
    mkdirSync(path.dirname(fifo), {recursive: true})
    execFileSync('mkfifo', [fifo])
    const link = path.join(src, 'taskservs', 'zero', '1.0.0', 'manifest.yaml')
    mkdirSync(path.dirname(link), {recursive: true})
    symlinkSync('/dev/zero', link)
    const huge = writeManifest(path.join(src, 'providers', 'huge'), {name: 'huge', version: '1.0.0'})
    truncateSync(huge, 200 * 1024 * 1024) // sparse: 200 MB by its size, nothing written
    const started = Date.now()
    const error = await failure(readLocalCatalog(src))
    expect(Date.now() - started).toBeLessThan(5000)
    expect(error.exit).toBe(3)
    expect(error.message).toContain(`  ${fifo}:\n    - manifest.yaml: cannot be used: not a regular file (a FIFO)`)
    expect(error.message).toContain(`  ${link}:\n    - manifest.yaml: cannot be used: not a regular file (a symbolic link)`)
    expect(error.message).toContain(`  ${huge}:\n    - manifest.yaml: cannot be used: 209715200 bytes, more than the 4194304 allowed`)

    // A FIFO alone: the single-file message, still at once.
    rmSync(path.join(src, 'providers'), {recursive: true})
    rmSync(path.join(src, 'taskservs', 'zero'), {recursive: true})
    const alone = await failure(readLocalCatalog(src))
    expect(alone.exit).toBe(3)
    expect(alone.message).toBe(`${fifo} has invalid extension metadata:\n  - manifest.yaml: cannot be used: not a regular file (a FIFO)`)
  })

  it('validates a changed manifest again: the cache answers by content, never by path or mtime', async () => {
    const file = writeManifest(path.join(src, 'taskservs', 'redis', '7.2.0'), {name: 'redis', version: '7.2.0', dependencies: {etcd: '^3.0'}})
    writeManifest(path.join(src, 'taskservs', 'etcd'), {name: 'etcd', version: '3.5.9'})
    expect((await readLocalCatalog(src)).versions('redis')?.[0].dependencies).toEqual({etcd: '^3.0'})
    const {mtime, size} = statSync(file)

    // Same size and mtime, other content: a self-dependency the cache must not let through.
    const selfDependent = readFileSync(file, 'utf8').replace('etcd: ^3.0', 'redis: "*"')
    expect(selfDependent.length).toBe(size)
    writeFileSync(file, selfDependent)
    utimesSync(file, mtime, mtime)
    const error = await failure(readLocalCatalog(src))
    expect(error.message).toBe(`${file} has invalid extension metadata:\n  - dependencies.redis: the extension "redis" lists itself in dependencies`)

    // Valid again with other content: the new content is what the catalog says.
    writeFileSync(file, selfDependent.replace('redis: "*"', 'etcd: ~3'))
    expect((await readLocalCatalog(src)).versions('redis')?.[0].dependencies).toEqual({etcd: '~3'})
    // The entry keeps exactly the manifests of the last read (the replaced content is gone).
    const [name] = cacheEntries()
    expect(Object.keys(readEntry(path.join(cacheDir, name)).data.items)).toHaveLength(2)

    // Content moved to a folder of another name is checked against that name.
    rmSync(path.join(src, 'taskservs', 'etcd'), {recursive: true})
    writeManifest(path.join(src, 'taskservs', 'etcd2'), {name: 'etcd', version: '3.5.9'})
    expect((await failure(readLocalCatalog(src))).message).toContain('name: name "etcd" differs from its folder "etcd2"')
  })

  it('answers from a signed entry, and ignores one that was tampered with or signed under another key', async () => {
    writeManifest(path.join(src, 'taskservs', 'redis'), {name: 'redis', version: '7.2.0', dependencies: {etcd: '^3'}})
    await readLocalCatalog(src)
    const [name] = cacheEntries()
    const file = path.join(cacheDir, name)
    const entry = readEntry(file)
    const [key] = Object.keys(entry.data.items)
    // Items are [version, type, dependencies, optional, conflicts].
    expect(entry.data.items[key]).toEqual(['7.2.0', 'taskserv', {etcd: '^3'}, {}, {}])
    // Re-signed with this home's key, as the CLI would write it: believed (the reads really come from it).
    entry.data.items[key][2] = {etcd: '>=3.5.0'}
    writeEntry(file, entry)
    expect((await readLocalCatalog(src)).versions('redis')?.[0].dependencies).toEqual({etcd: '>=3.5.0'})

    // Edited in place (signature no longer matches), or signed under another key: ignored and rewritten.
    entry.data.items[key][2] = {planted: '*'}
    const signed = readFileSync(file, 'utf8').split('\n')[0]
    for (const plant of [
      () => writeFileSync(file, `${signed}\n${JSON.stringify(entry)}`),
      () => writeEntry(file, entry, Buffer.alloc(32, 7)),
      () => writeFileSync(file, '{not json'),
    ]) {
      plant()
      expect((await readLocalCatalog(src)).versions('redis')?.[0].dependencies).toEqual({etcd: '^3'})
      expect(readEntry(file).data.items[key][2]).toEqual({etcd: '^3'})
    }

    // A signed entry whose item does not have a candidate's shape is parsed anew.
    const damaged = readEntry(file)
    damaged.data.items[key] = ['7.2.0', 'taskserv', {etcd: 3}, {}, {}]
    writeEntry(file, damaged)
    expect((await readLocalCatalog(src)).versions('redis')?.[0]).toMatchObject({version: '7.2.0', dependencies: {etcd: '^3'}})
  })

  it('says when the source folder does not exist (exit 3)', async () => {
    const error = await failure(readLocalCatalog(path.join(root, 'missing')))
    expect(error.exit).toBe(3)
    expect(error.message).toBe(`the local extension source ${path.join(root, 'missing')} does not exist`)
  })
})
