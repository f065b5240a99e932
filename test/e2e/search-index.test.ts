import {execFileSync} from 'node:child_process'
import {mkdir, readdir, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {writeExtension} from '../helpers/deps.js'
import {useRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface SearchDoc {
  fromCache: boolean
  indexAgeSeconds: number
  matches: Array<{name: string; latest?: string; versions: string[]; description?: string}>
}

/**
 * `oci search` answers from a cached index (SPEC §8.4). Pushes, copies and deletes through
 * this CLI update the cached entry in place; changes made elsewhere show after --refresh,
 * and a cached answer says how old it is and how to refresh.
 */
describe('the search index follows push, copy and delete (built CLI, real registry)', () => {
  const registry = useRegistry()
  let box: Sandbox
  const env = () => ({...box.env, PROVISIONING_OCI__REGISTRY: registry().host})
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, {env: {...env(), ...extra}, cwd: box.root})
  const search = async (term: string, args: string[] = []) => {
    const result = await cli(['oci', 'search', term, '--json', ...args])
    expect(result.exitCode, result.stderr).toBe(0)
    return {doc: json<SearchDoc>(result), stderr: result.stderr}
  }
  const extension = async (name: string, version: string, description = `${name} ${version}`) => {
    const dir = path.join(box.root, 'src', `${name}-${version}`)
    await writeExtension(dir, {name, version, description})
    return dir
  }
  const indexFiles = async () =>
    (await readdir(path.join(box.home, 'cache', 'oci', 'repositories'), {recursive: true}).catch(() => [] as string[])).filter((f) => f.endsWith('.json'))

  beforeAll(async () => {
    box = await sandbox()
  })
  afterAll(() => box.cleanup())

  it('a push without a cached index creates none; after a search, pushes show at once', async () => {
    expect((await cli(['oci', 'push', await extension('alpha', '1.0.0')])).exitCode).toBe(0)
    expect(await indexFiles()).toEqual([]) // a missing index stays missing

    const first = await search('alpha')
    expect(first.doc.fromCache).toBe(false)
    expect(first.doc.matches.map((m) => m.name)).toEqual(['alpha'])
    expect(await indexFiles()).toHaveLength(1)

    // The issue: `oci push ./x && oci search x` found nothing until --refresh.
    expect((await cli(['oci', 'push', await extension('xray', '1.0.0', 'x-ray vision')])).exitCode).toBe(0)
    const found = await search('xray')
    expect(found.doc.fromCache).toBe(true)
    expect(found.doc.matches).toEqual([expect.objectContaining({name: 'xray', latest: '1.0.0', versions: ['1.0.0'], description: 'x-ray vision'})])

    expect((await cli(['oci', 'push', await extension('xray', '1.1.0', 'x-ray vision, improved')])).exitCode).toBe(0)
    const newer = await search('xray')
    expect(newer.doc.matches).toEqual([expect.objectContaining({latest: '1.1.0', versions: ['1.1.0', '1.0.0'], description: 'x-ray vision, improved'})])
    // alpha's entry was not touched by the in-place update.
    expect((await search('alpha')).doc.matches.map((m) => m.name)).toEqual(['alpha'])
  })

  it('a batch push (several at a time) records every extension in the index', async () => {
    const dirs = await Promise.all(['bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'].map((name) => extension(name, '1.0.0', `batch ${name}`)))
    const pushed = await cli(['oci', 'push', ...dirs, '--concurrency', '4'])
    expect(pushed.exitCode, pushed.stderr).toBe(0)
    const found = await search('batch')
    expect(found.doc.fromCache).toBe(true)
    expect(found.doc.matches.map((m) => m.name)).toEqual(['bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'])
    expect((await readdir(path.join(box.home, 'cache', 'oci', 'repositories'), {recursive: true})).filter((f) => f.endsWith('.lock'))).toEqual([])
  })

  it('copy adds the destination entry; delete updates or drops it', async () => {
    const ns = 'provisioning-extensions'
    const copied = await cli(['oci', 'copy', `${registry().host}/${ns}/xray:1.1.0`, `${registry().host}/${ns}/yankee:1.1.0`])
    expect(copied.exitCode, copied.stderr).toBe(0)
    expect((await search('yankee')).doc.matches.map((m) => [m.name, m.latest])).toEqual([['yankee', '1.1.0']])

    expect((await cli(['oci', 'delete', 'xray:1.1.0', '--yes'])).exitCode).toBe(0)
    expect((await search('xray')).doc.matches.map((m) => [m.name, m.latest, m.description])).toEqual([['xray', '1.0.0', 'x-ray vision']])

    expect((await cli(['oci', 'delete', 'yankee:1.1.0', '--yes'])).exitCode).toBe(0)
    expect((await search('yankee')).doc.matches).toEqual([])
  })

  it('a push made elsewhere is missed by the cached index, which says its age and how to refresh', async () => {
    // Another user (their own PROVISIONING_HOME, so their own cache) pushes to the same registry.
    const other = path.join(box.root, 'other-home')
    await mkdir(other)
    expect((await cli(['oci', 'push', await extension('zulu', '1.0.0')], {PROVISIONING_HOME: other})).exitCode).toBe(0)

    const stale = await search('zulu')
    expect(stale.doc).toMatchObject({fromCache: true, matches: []})
    expect(stale.doc.indexAgeSeconds).toBeGreaterThanOrEqual(0)
    expect(stale.stderr).toMatch(/index: default synced \d+s ago; --refresh syncs them now/)
    const human = await cli(['oci', 'search', 'zulu'])
    expect(human.stdout).toMatch(/no extension matches "zulu" in .* \(index from \d+s ago; pushed elsewhere since\? run with --refresh\)/)

    const refreshed = await search('zulu', ['--refresh'])
    expect(refreshed.doc.fromCache).toBe(false)
    expect(refreshed.doc.matches.map((m) => m.name)).toEqual(['zulu'])
    expect(refreshed.stderr).not.toContain('ago')
  })

  it('parallel pushes of two versions of one extension (two processes) leave both in the index', async () => {
    await search('quebec') // the index is cached: the pushes update it in place
    // Each round races two processes; before the entry was built under the lock, the one that
    // listed the tags first could write last and drop the other version.
    const expected: string[] = []
    for (let round = 0; round < 4; round++) {
      const versions = [`1.${round}.0`, `1.${round}.1`]
      const dirs = await Promise.all(versions.map((version) => extension('quebec', version)))
      const pushed = await Promise.all(dirs.map((dir) => cli(['oci', 'push', dir])))
      for (const result of pushed) expect(result.exitCode, result.stderr).toBe(0)
      expected.unshift(...versions.reverse())
      const found = await search('quebec')
      expect(found.doc.fromCache).toBe(true)
      expect(
        found.doc.matches.map((m) => m.versions),
        `round ${round}`,
      ).toEqual([expected])
    }
  }, 300_000) // 13 CLI processes; several engineers share 2 cores

  it('namespaces team/sub and team_sub keep separate cached indexes', async () => {
    for (const [name, namespace] of [
      ['kilo', 'team/sub'],
      ['lima', 'team_sub'],
    ]) {
      expect((await cli(['oci', 'push', await extension(name, '1.0.0', 'shared term'), '--namespace', namespace])).exitCode).toBe(0)
    }
    const sub = await search('shared', ['--namespace', 'team/sub'])
    expect(sub.doc.matches.map((m) => m.name)).toEqual(['kilo'])
    // Both once mapped to one file name: team_sub was answered from team/sub's index.
    const underscored = await search('shared', ['--namespace', 'team_sub'])
    expect(underscored.doc.fromCache).toBe(false)
    expect(underscored.doc.matches.map((m) => m.name)).toEqual(['lima'])
    expect((await search('shared', ['--namespace', 'team/sub'])).doc).toMatchObject({fromCache: true, matches: [expect.objectContaining({name: 'kilo'})]})
  })

  it('a push to oci-layout://PATH (the folder itself) adds no nameless entry to the layout root index', async () => {
    const store = `oci-layout://${path.join(box.root, 'layout-store')}`
    const dir = await extension('mike', '1.0.0', 'mike in a layout')
    expect((await cli(['oci', 'push', dir], {PROVISIONING_OCI__REGISTRY: store})).exitCode).toBe(0)
    const layoutSearch = async () => json<SearchDoc>(await cli(['oci', 'search', 'mike', '--namespace', '', '--json'], {PROVISIONING_OCI__REGISTRY: store}))
    expect((await layoutSearch()).matches.map((m) => m.name)).toEqual(['mike'])
    const pushed = await cli(['oci', 'push', dir, store], {PROVISIONING_OCI__REGISTRY: store})
    expect(pushed.exitCode, pushed.stderr).toBe(0)
    const after = await layoutSearch()
    expect(after.fromCache).toBe(true)
    expect(after.matches.map((m) => m.name)).toEqual(['mike'])
  })

  it('a damaged or hostile cached index is rebuilt, never trusted or waited on; push still succeeds', async () => {
    // The index of the default repository (oci.registry/provisioning-extensions), the one searched: found by the
    // source it records, not by folder order (folder names end in a hash of the URL, whose port is random).
    const root = path.join(box.home, 'cache', 'oci', 'repositories')
    const sources = await Promise.all(
      (await indexFiles()).map(async (relative) => ({
        relative,
        source: (JSON.parse(await readFile(path.join(root, relative), 'utf8')) as {source?: string}).source,
      })),
    )
    const relative = sources.find((s) => s.source === `${registry().host}/provisioning-extensions`)?.relative
    expect(relative, JSON.stringify(sources)).toBeDefined()
    const file = path.join(root, relative as string)
    const hostile: Array<[string, () => Promise<void>]> = [
      ['garbage', () => writeFile(file, '{"format":2,"entries":"not a list"')],
      ['wrong shape', () => writeFile(file, JSON.stringify({format: 1, source: 'r', synced: new Date().toISOString(), extensions: [{name: 'evil'}]}))],
      ['a FIFO', async () => void execFileSync('mkfifo', [file])],
      ['a link to /dev/zero', () => symlink('/dev/zero', file)],
    ]
    let version = 0
    for (const [what, plant] of hostile) {
      await rm(file, {force: true})
      await plant()
      // A push reads the index to update it: it must neither hang nor fail.
      const pushed = await cli(['oci', 'push', await extension('hostile', `1.0.${version++}`)])
      expect(pushed.exitCode, `${what}: ${pushed.stderr}`).toBe(0)
      const result = await search('hostile')
      expect(result.doc.fromCache, what).toBe(false)
      expect(
        result.doc.matches.map((m) => m.name),
        what,
      ).toEqual(['hostile'])
    }
  })
})
