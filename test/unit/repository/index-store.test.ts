import {execFileSync} from 'node:child_process'
import {mkdir, readdir, readFile, rm, symlink, truncate, utimes, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {
  configFields,
  describedBy,
  extensionMatches,
  indexFileOf,
  indexFilesUnder,
  indexRoot,
  indexSource,
  isStale,
  MAX_INDEX_BYTES,
  PRUNE_AFTER_MS,
  pruneOtherSources,
  readAnyRepositoryIndex,
  readIndexHead,
  readRepositoryIndex,
  syncedMeanwhile,
  writeRepositoryIndex,
} from '../../../src/lib/repository/index-store.js'
import type {Location} from '../../../src/lib/oci/reference.js'
import {tempDir} from '../../helpers/cli.js'

const DIGEST = `sha256:${'b'.repeat(64)}`
const remote = (host: string): Location => ({kind: 'remote', host})
const version = (tag: string, fields: Record<string, unknown> = {}) => ({
  tag,
  digest: DIGEST,
  type: 'taskserv',
  description: `v${tag}`,
  keywords: ['db'],
  ...fields,
})
const redis = {name: 'redis', path: 'ns/redis', versions: [version('2.0.0-rc.1'), version('1.1.0'), version('1.0.0')]}

describe('repository index files (hostile input is rebuilt, never misread)', () => {
  let dir: string
  let cleanup: () => Promise<void>
  const repository = {name: 'internal', location: remote('reg.example:5000'), namespace: 'ns'}
  let file: string
  const source = indexSource(repository)
  const valid = () => ({format: 1, source, synced: '2026-12-01T00:00:00.000Z', extensions: [redis]})
  const plant = async (doc: unknown) => {
    await mkdir(path.dirname(file), {recursive: true})
    await writeFile(file, typeof doc === 'string' ? doc : JSON.stringify(doc))
  }

  beforeEach(async () => {
    ;({dir, cleanup} = await tempDir('index-store-'))
    file = indexFileOf(dir, repository)
  })
  afterEach(() => cleanup())

  it('one folder per repository name and source: a changed URL or namespace never shares an index', () => {
    expect(path.relative(dir, file)).toMatch(/^repositories\/internal-[0-9a-f]{16}\/index\.json$/)
    expect(source).toBe('reg.example:5000/ns')
    expect(indexFileOf(dir, {...repository, namespace: 'ns2'})).not.toBe(file)
    expect(indexFileOf(dir, {...repository, location: remote('other.example')})).not.toBe(file)
    expect(indexFileOf(dir, {...repository, name: 'public'})).not.toBe(file)
    expect(indexSource({location: {kind: 'layout', root: '/srv/store'}, namespace: ''})).toBe('oci-layout:///srv/store')
  })

  it('writes and reads back a whole index, extensions sorted by name', async () => {
    const alpha = {name: 'alpha', path: 'ns/alpha', versions: [version('0.1.0', {type: undefined, description: undefined, keywords: []})]}
    await writeRepositoryIndex(file, {source, synced: '2026-12-01T00:00:00.000Z', extensions: [redis, alpha]})
    const read = await readRepositoryIndex(file, source)
    expect(read?.extensions.map((e) => e.name)).toEqual(['alpha', 'redis'])
    expect(read?.extensions[1]).toEqual(JSON.parse(JSON.stringify(redis)))
    expect(await readAnyRepositoryIndex(file)).toEqual(read)
    expect(await indexFilesUnder(dir)).toEqual([file])
  })

  it('missing, or the index of another source (a URL that changed under the same file): undefined', async () => {
    expect(await readRepositoryIndex(file, source)).toBeUndefined()
    await plant(valid())
    expect(await readRepositoryIndex(file, 'reg.example:5000/other')).toBeUndefined()
  })

  it('not JSON, another format, a top level of the wrong shape: undefined', async () => {
    for (const doc of [
      '{"format":1,"source":',
      'null',
      '[]',
      {...valid(), format: 2},
      {...valid(), format: '1'},
      {...valid(), synced: 'yesterday'},
      {...valid(), synced: 5},
      {...valid(), extensions: {redis}},
      {...valid(), source: undefined},
    ]) {
      await plant(doc)
      expect(await readRepositoryIndex(file, source), JSON.stringify(doc)).toBeUndefined()
      expect(await readAnyRepositoryIndex(file), JSON.stringify(doc)).toBeUndefined()
    }
  })

  it('one entry of a bad type spoils the whole index (it is rebuilt, not half-trusted)', async () => {
    const bad: unknown[] = [
      {...redis, name: 5},
      {...redis, name: ''},
      {...redis, path: 'ns/other'}, // a name that is not its path's last part
      {...redis, versions: 'all'},
      {...redis, versions: [version('latest')]}, // not a semver tag
      {...redis, versions: [version('1.0.0/../../x')]},
      {...redis, versions: [version('1.0.0', {digest: 'sha256:short'})]},
      {...redis, versions: [version('1.0.0', {digest: undefined})]},
      {...redis, versions: [version('1.0.0', {description: {text: 'x'}})]},
      {...redis, versions: [version('1.0.0', {description: 'x'.repeat(5000)})]},
      {...redis, versions: [version('1.0.0', {keywords: 'db'})]},
      {...redis, versions: [version('1.0.0', {keywords: [1]})]},
      {...redis, versions: [version('1.0.0', {keywords: Array.from({length: 100}, (_, i) => `k${i}`)})]},
      {...redis, versions: Array.from({length: 1001}, (_, i) => version(`1.0.${i}`))},
      ['redis'],
      null,
    ]
    for (const entry of bad) {
      await plant({...valid(), extensions: [redis, entry]})
      expect(await readRepositoryIndex(file, source), JSON.stringify(entry).slice(0, 200)).toBeUndefined()
    }
  })

  it('a file larger than the bound is not read; a link, a FIFO or a folder is not followed', async () => {
    await plant(valid())
    await truncate(file, MAX_INDEX_BYTES + 1)
    expect(await readRepositoryIndex(file, source)).toBeUndefined()

    const elsewhere = path.join(dir, 'elsewhere.json')
    await writeFile(elsewhere, JSON.stringify(valid()))
    await rm(file)
    await symlink(elsewhere, file)
    expect(await readRepositoryIndex(file, source)).toBeUndefined()
    await rm(file)
    await symlink('/dev/zero', file)
    expect(await readRepositoryIndex(file, source)).toBeUndefined()
    await rm(file)
    execFileSync('mkfifo', [file])
    expect(await readRepositoryIndex(file, source)).toBeUndefined() // returns: a FIFO is never waited on
    await rm(file)
    await mkdir(file)
    expect(await readRepositoryIndex(file, source)).toBeUndefined()
    // The target of the link was never touched.
    expect(JSON.parse(await readFile(elsewhere, 'utf8'))).toEqual(valid())
  })

  it('what an entry shows: its latest stable version (a pre-release only with pre, or when there is nothing else)', () => {
    expect(describedBy(redis)?.tag).toBe('1.1.0')
    expect(describedBy(redis, true)?.tag).toBe('2.0.0-rc.1')
    expect(describedBy({...redis, versions: [version('0.1.0-beta')]})?.tag).toBe('0.1.0-beta')
    expect(extensionMatches(redis, 'REDIS')).toBe(true)
    expect(extensionMatches(redis, 'v1.1')).toBe(true) // the description of 1.1.0
    expect(extensionMatches(redis, 'v2.0')).toBe(false) // a pre-release's description is not the entry's
    expect(extensionMatches(redis, 'db')).toBe(true)
    expect(extensionMatches(redis, 'postgres')).toBe(false)
  })

  it('config fields are bounded strings; anything else is dropped', () => {
    expect(configFields(undefined)).toEqual({keywords: []})
    expect(configFields({type: 5, description: ['x'], tags: 'db'})).toEqual({keywords: []})
    const long = configFields({type: 'taskserv', description: 'd'.repeat(5000), tags: ['ok', 7, 'k'.repeat(100), ...Array.from({length: 50}, () => 'x')]})
    expect(long.description).toHaveLength(1024)
    expect(long.keywords).toHaveLength(32)
    expect(long.keywords[0]).toBe('ok')
    expect(long.keywords[1]).toHaveLength(64)
  })

  it('the head of an index (source, synced) is read from its first bytes; a file that does not start so has none', async () => {
    await writeRepositoryIndex(file, {source, synced: '2026-12-01T00:00:00.000Z', extensions: [redis]})
    expect(await readIndexHead(file)).toEqual({source, synced: '2026-12-01T00:00:00.000Z'})
    const quoted = 'oci-layout:///srv/a "quoted" \\ path'
    await writeRepositoryIndex(file, {source: quoted, synced: '2026-12-02T00:00:00.000Z', extensions: []})
    expect(await readIndexHead(file)).toEqual({source: quoted, synced: '2026-12-02T00:00:00.000Z'})
    for (const doc of [JSON.stringify({source, format: 1, synced: 'x'}), '{"format":1,"source":"unterminated', '{"format":2,"source":"a","synced":"b"}']) {
      await plant(doc)
      expect(await readIndexHead(file), doc).toBeUndefined()
    }
    await rm(file)
    await symlink('/dev/zero', file)
    expect(await readIndexHead(file)).toBeUndefined()
  })

  it('index folders are listed by name, so the bound keeps the same ones whatever readdir order', async () => {
    for (const name of ['zeta', 'alpha', 'mid'])
      await writeRepositoryIndex(indexFileOf(dir, {...repository, name}), {source, synced: '2026-12-01T00:00:00.000Z', extensions: []})
    expect((await indexFilesUnder(dir)).map((f) => path.basename(path.dirname(f)).split('-')[0])).toEqual(['alpha', 'mid', 'zeta'])
  })

  it('a sync of NAME removes the folders of NAME for other URLs once long untouched; other names and recent ones stay', async () => {
    const now = Date.now()
    const folderOf = (r: typeof repository) => path.dirname(indexFileOf(dir, r))
    const oldUrl = {...repository, namespace: 'before'}
    const recentUrl = {...repository, namespace: 'other-workspace'}
    const longer = {...repository, name: 'internal-b', namespace: 'before'} // "internal-b-<hash>" is not a folder of "internal"
    for (const r of [repository, oldUrl, recentUrl, longer])
      await writeRepositoryIndex(indexFileOf(dir, r), {source: indexSource(r), synced: '2026-12-01T00:00:00.000Z', extensions: []})
    const old = new Date(now - PRUNE_AFTER_MS - 1000)
    for (const r of [oldUrl, longer, repository]) await utimes(folderOf(r), old, old)
    expect(await pruneOtherSources(dir, repository, now)).toEqual([path.basename(folderOf(oldUrl))])
    expect((await readdir(indexRoot(dir))).sort()).toEqual([folderOf(repository), folderOf(recentUrl), folderOf(longer)].map((f) => path.basename(f)).sort())
  })

  it('staleness: older than the TTL, or synced more than a minute in the future (a clock stepped back, a copied cache)', () => {
    const now = Date.parse('2026-12-01T12:00:00.000Z')
    const at = (offsetMs: number) => new Date(now + offsetMs).toISOString()
    expect(isStale(at(-59_000), 60_000, now)).toBe(false)
    expect(isStale(at(-60_000), 60_000, now)).toBe(true)
    expect(isStale(at(30_000), 60_000, now)).toBe(false) // skew within a minute
    expect(isStale(at(3_600_000), 60_000, now)).toBe(true)
    expect(isStale(at(3_600_000), 1e12, now)).toBe(true) // whatever the TTL
  })

  it('a sync that waited takes the index as it is only when another sync rewrote it meanwhile, never with --full or from the future', () => {
    const asked = Date.parse('2026-12-01T12:00:00.000Z')
    const now = asked + 5000
    const after = new Date(asked + 2000).toISOString()
    const before = new Date(asked - 2000).toISOString()
    const options = {asked, full: false, now}
    expect(syncedMeanwhile(before, after, options)).toBe(true)
    expect(syncedMeanwhile(undefined, after, options)).toBe(true) // first sync of another process
    expect(syncedMeanwhile(after, after, options)).toBe(false) // unchanged: nobody synced meanwhile
    expect(syncedMeanwhile(before, after, {...options, full: true})).toBe(false)
    expect(syncedMeanwhile(undefined, undefined, options)).toBe(false)
    // A future-dated index (copied, or the clock stepped back) is unchanged: synced again, never taken.
    const future = new Date(now + 86_400_000).toISOString()
    expect(syncedMeanwhile(future, future, options)).toBe(false)
    expect(syncedMeanwhile(before, future, options)).toBe(false)
    expect(syncedMeanwhile(after, before, options)).toBe(false) // changed, but to an older one than asked
  })
})
