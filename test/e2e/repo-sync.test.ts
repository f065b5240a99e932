import {createHash} from 'node:crypto'
import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {type FaultProxyHandle, startFaultProxy} from '../fixtures/fault-proxy.js'
import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, writeExtension} from '../helpers/deps.js'
import {useRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface SyncReport {
  repository: string
  ok: boolean
  extensions?: number
  versions?: number
  added?: number
  removed?: number
  changed?: number
  alreadyFresh?: boolean
  requests?: {listings: number; resolves: number; manifests: number; configs: number}
  skipped?: string[]
  error?: {code: string; exit: number; message: string}
}
interface SyncDoc {
  repositories: SyncReport[]
  exit: number
}
interface Part {
  repository: string
  url: string
  ageSeconds?: number
  refreshed: boolean
  missing: boolean
  error?: string
}
interface SearchDoc {
  repositories: Part[]
  fromCache: boolean
  matches: Array<{name: string; repository: string; path: string; latest?: string; versions: string[]; description?: string}>
}
interface DiscoverDoc {
  modules: Array<{name: string; source: string; repository?: string; version?: string}>
  warnings: string[]
}
interface IndexDoc {
  source: string
  extensions: Array<{name: string; path: string; versions: Array<{tag: string; digest: string; type?: string; description?: string}>}>
}

/**
 * `repo sync` (SPEC §13) against two real registries and a layout store whose catalogs
 * overlap (redis is in all three): the first sync reads every manifest and config, later
 * ones only what changed (counted through a proxy's request log in front of registry A);
 * `oci search` and `module discover` read the merged index and name each hit's repository.
 */
describe('repo sync: incremental per-repository indexes, searched across repositories (built CLI, two registries and a layout)', () => {
  const registryA = useRegistry()
  const registryB = useRegistry()
  let proxy: FaultProxyHandle
  let box: Sandbox
  let ws: string
  let layout: string
  /** Pushes happen from another home: "elsewhere", so no index of this user's is updated in place. */
  let pusherHome: string

  const cli = (args: string[], options: {env?: Record<string, string>; cwd?: string} = {}) =>
    runCli(args, {env: {...box.env, PROVISIONING_OCI__TOOL: 'native', ...options.env}, cwd: options.cwd ?? ws})
  const push = async (registry: string, namespace: string, dirs: string[]) => {
    const result = await cli(['oci', 'push', ...dirs, '--namespace', namespace], {
      env: {PROVISIONING_HOME: pusherHome, PROVISIONING_OCI__REGISTRY: registry},
      cwd: box.root,
    })
    expect(result.exitCode, result.stderr).toBe(0)
  }
  const extension = async (name: string, version: string, description = `${name} ${version}`) => {
    const dir = path.join(box.root, 'src', `${name}-${version}-${Math.random().toString(36).slice(2)}`)
    await writeExtension(dir, {name, version, description})
    return dir
  }
  const sync = async (args: string[] = [], expectedExit = 0) => {
    const result = await cli(['repo', 'sync', ...args, '--json'])
    expect(result.exitCode, result.stderr).toBe(expectedExit)
    return json<SyncDoc>(result)
  }
  const report = (doc: SyncDoc, name: string) => doc.repositories.find((r) => r.repository === name) as SyncReport
  const indexOf = async (name: string): Promise<IndexDoc> => {
    const root = path.join(box.home, 'cache', 'oci', 'repositories')
    const folder = (await readdir(root)).find((f) => f.startsWith(`${name}-`)) as string
    return JSON.parse(await readFile(path.join(root, folder, 'index.json'), 'utf8')) as IndexDoc
  }
  const proxied = (method: string, kind: 'manifests' | 'blobs') => proxy.requests.filter((r) => r.method === method && r.path.includes(`/${kind}/`))

  beforeAll(async () => {
    box = await sandbox()
    pusherHome = path.join(box.root, 'pusher-home')
    await mkdir(pusherHome)
    proxy = await startFaultProxy({target: registryA().url})
    layout = path.join(box.root, 'layout-store')
    // A: redis + alpine-tools (team); B: redis + postgres (extensions); the layout: redis + local-only.
    await push(registryA().host, 'team', [await extension('redis', '7.0.0', 'redis from A'), await extension('alpine-tools', '1.0.0')])
    await push(registryA().host, 'team', [await extension('redis', '7.1.0', 'redis from A, newer')])
    await push(registryB().host, 'extensions', [await extension('redis', '6.2.0', 'redis from B'), await extension('postgres', '16.1.0')])
    await push(`oci-layout://${layout}`, 'vendored', [await extension('redis', '5.0.0', 'redis from the layout'), await extension('local-only', '0.1.0')])

    ws = await bareWorkspace(box.root, 'ws')
    const file = path.join(ws, 'config', 'provisioning.yaml')
    const config = YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    config.dependencies = {extensions: {source_type: 'oci', oci: {registry: registryB().host, namespace: 'extensions', tls_enabled: false}}}
    config.repositories = {
      alpha: {url: `oci://${proxy.host}/team`, description: 'registry A', labels: {env: 'prod'}, priority: 10},
      vendored: {url: `oci-layout://${layout}`, labels: {env: 'dev'}},
    }
    await writeFile(file, YAML.stringify(config))
  })
  afterAll(async () => {
    await proxy?.stop()
    await box?.cleanup()
  })

  it('the first sync indexes every visible repository: extensions, versions and digests', async () => {
    const doc = await sync()
    expect(doc.exit).toBe(0)
    expect(doc.repositories.map((r) => [r.repository, r.ok, r.extensions, r.versions, r.added, r.removed])).toEqual([
      ['default', true, 2, 2, 2, 0],
      ['alpha', true, 2, 3, 3, 0],
      ['vendored', true, 2, 2, 2, 0],
    ])
    // One GET by tag per new version (no HEAD first), and its config.
    expect(report(doc, 'alpha').requests).toMatchObject({resolves: 0, manifests: 3, configs: 3})
    const alpha = await indexOf('alpha')
    expect(alpha.source).toBe(`${proxy.host}/team`)
    expect(alpha.extensions.map((e) => [e.name, e.path, e.versions.map((v) => v.tag)])).toEqual([
      ['alpine-tools', 'team/alpine-tools', ['1.0.0']],
      ['redis', 'team/redis', ['7.1.0', '7.0.0']],
    ])
    for (const version of alpha.extensions.flatMap((e) => e.versions)) expect(version.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect((await indexOf('vendored')).extensions.map((e) => e.path)).toEqual(['vendored/local-only', 'vendored/redis'])
  })

  it('a second sync with nothing changed only lists: no tag is resolved, no manifest or blob fetched', async () => {
    proxy.clear()
    const doc = await sync(['alpha'])
    expect(report(doc, 'alpha')).toMatchObject({ok: true, added: 0, removed: 0, changed: 0, requests: {manifests: 0, configs: 0}})
    expect(proxied('GET', 'manifests')).toEqual([])
    expect(proxied('GET', 'blobs')).toEqual([])
    expect(proxied('HEAD', 'manifests')).toEqual([])
    expect(report(doc, 'alpha').requests).toMatchObject({resolves: 0})
    expect(proxy.requests.filter((r) => r.path.includes('/tags/list'))).toHaveLength(2)
  })

  it('after one new version is pushed, the sync fetches only that tag manifest (by tag, no HEAD) and its config', async () => {
    await push(registryA().host, 'team', [await extension('redis', '7.2.0', 'redis from A, newest')])
    proxy.clear()
    const doc = await sync(['alpha'])
    expect(report(doc, 'alpha')).toMatchObject({added: 1, removed: 0, changed: 0, versions: 4, requests: {manifests: 1, configs: 1}})
    expect(proxied('GET', 'manifests').map((r) => r.path)).toEqual(['/v2/team/redis/manifests/7.2.0'])
    expect(proxied('HEAD', 'manifests')).toEqual([])
    expect(proxied('GET', 'blobs')).toHaveLength(1)
    const redis = (await indexOf('alpha')).extensions.find((e) => e.name === 'redis')
    expect(redis?.versions.map((v) => [v.tag, v.description])).toEqual([
      ['7.2.0', 'redis from A, newest'],
      ['7.1.0', 'redis from A, newer'],
      ['7.0.0', 'redis from A'],
    ])
  })

  it('a new tag pointing at a manifest already in the blob cache costs its manifest GET by tag, and no blob GET', async () => {
    const copied = await cli(['oci', 'copy', `oci://${registryA().host}/team/redis:7.2.0`, `oci://${registryA().host}/team/redis-mirror:7.2.0`], {
      env: {PROVISIONING_HOME: pusherHome},
      cwd: box.root,
    })
    expect(copied.exitCode, copied.stderr).toBe(0)
    proxy.clear()
    const doc = await sync(['alpha'])
    // A new tag is read by tag in one GET whether or not its manifest is cached (a HEAD to ask
    // first would cost every new version of a first sync a request more); the config is cached.
    expect(report(doc, 'alpha')).toMatchObject({added: 1, extensions: 3, requests: {resolves: 0, manifests: 1, configs: 0}})
    expect(proxied('GET', 'manifests').map((r) => r.path)).toEqual(['/v2/team/redis-mirror/manifests/7.2.0'])
    expect(proxied('HEAD', 'manifests')).toEqual([])
    expect(proxied('GET', 'blobs')).toEqual([])
    const mirror = (await indexOf('alpha')).extensions.find((e) => e.name === 'redis-mirror')
    expect(mirror?.versions.map((v) => [v.tag, v.description])).toEqual([['7.2.0', 'redis from A, newest']])
    const removed = await cli(['oci', 'delete', `oci://${registryA().host}/team/redis-mirror:7.2.0`, '--yes'], {
      env: {PROVISIONING_HOME: pusherHome},
      cwd: box.root,
    })
    expect(removed.exitCode, removed.stderr).toBe(0)
  })

  it('a version republished with --force keeps its indexed digest until repo sync --full resolves every tag again', async () => {
    const moving = `oci://${registryA().host}/team/moving:1.0.0`
    await push(registryA().host, 'team', [await extension('moving', '1.0.0', 'first content')])
    await sync(['alpha'])
    const republished = await cli(['oci', 'push', await extension('moving', '1.0.0', 'second content'), '--namespace', 'team', '--force'], {
      env: {PROVISIONING_HOME: pusherHome, PROVISIONING_OCI__REGISTRY: registryA().host},
      cwd: box.root,
    })
    expect(republished.exitCode, republished.stderr).toBe(0)
    const described = async () => (await indexOf('alpha')).extensions.find((e) => e.name === 'moving')?.versions.map((v) => v.description)

    proxy.clear()
    expect(report(await sync(['alpha']), 'alpha')).toMatchObject({changed: 0, requests: {resolves: 0}})
    expect(await described()).toEqual(['first content'])

    proxy.clear()
    const full = await sync(['alpha', '--full'])
    expect(report(full, 'alpha')).toMatchObject({changed: 1, added: 0, requests: {manifests: 1, configs: 1}})
    expect(proxied('HEAD', 'manifests').length).toBe(report(full, 'alpha').versions)
    expect(await described()).toEqual(['second content'])

    const removed = await cli(['oci', 'delete', moving, '--yes'], {env: {PROVISIONING_HOME: pusherHome}, cwd: box.root})
    expect(removed.exitCode, removed.stderr).toBe(0)
    await sync(['alpha'])
  })

  it('a deleted tag disappears from the index; a deleted last version takes the extension with it', async () => {
    const deleted = await cli(['oci', 'delete', `oci://${registryA().host}/team/redis:7.0.0`, '--yes'], {env: {PROVISIONING_HOME: pusherHome}, cwd: box.root})
    expect(deleted.exitCode, deleted.stderr).toBe(0)
    const gone = await cli(['oci', 'delete', `oci://${registryA().host}/team/alpine-tools:1.0.0`, '--yes'], {
      env: {PROVISIONING_HOME: pusherHome},
      cwd: box.root,
    })
    expect(gone.exitCode, gone.stderr).toBe(0)
    proxy.clear()
    const doc = await sync(['alpha'])
    // redis 7.0.0 and alpine-tools 1.0.0 (redis-mirror, deleted above, left the index with the republishing test's last sync).
    expect(report(doc, 'alpha')).toMatchObject({removed: 2, added: 0, extensions: 1, versions: 2, requests: {manifests: 0, configs: 0}})
    expect((await indexOf('alpha')).extensions.map((e) => [e.name, e.versions.map((v) => v.tag)])).toEqual([['redis', ['7.2.0', '7.1.0']]])
  })

  it('two concurrent syncs of one repository both succeed, one after the other, and leave a whole index', async () => {
    await push(registryA().host, 'team', [await extension('redis', '7.3.0'), await extension('zeta', '1.0.0')])
    const [first, second] = await Promise.all([cli(['repo', 'sync', 'alpha', '--json']), cli(['repo', 'sync', 'alpha', '--json'])])
    for (const result of [first, second]) expect(result.exitCode, result.stderr).toBe(0)
    const reports = [first, second].map((r) => report(json<SyncDoc>(r), 'alpha'))
    // Exactly one of them read the new versions; the other waited and found them indexed.
    expect(reports.map((r) => r.added).sort()).toEqual([0, 2])
    for (const r of reports) expect(r).toMatchObject({ok: true, extensions: 2, versions: 4})
    expect((await indexOf('alpha')).extensions.map((e) => [e.name, e.versions.map((v) => v.tag)])).toEqual([
      ['redis', ['7.3.0', '7.2.0', '7.1.0']],
      ['zeta', ['1.0.0']],
    ])
    const leftovers = (await readdir(path.join(box.home, 'cache', 'oci', 'repositories'), {recursive: true})).filter((f) => /\.lock|\.tmp/.test(f))
    expect(leftovers).toEqual([])
  })

  it('oci search reads every repository, in priority order, naming each hit repository and each part age', async () => {
    const result = await cli(['oci', 'search', 'redis', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const doc = json<SearchDoc>(result)
    expect(doc.matches.map((m) => [m.repository, m.name, m.latest, m.path])).toEqual([
      ['default', 'redis', '6.2.0', 'extensions/redis'],
      ['alpha', 'redis', '7.3.0', 'team/redis'],
      ['vendored', 'redis', '5.0.0', 'vendored/redis'],
    ])
    expect(doc.repositories.map((p) => [p.repository, p.missing, typeof p.ageSeconds])).toEqual([
      ['default', false, 'number'],
      ['alpha', false, 'number'],
      ['vendored', false, 'number'],
    ])
    expect(doc.fromCache).toBe(true)
    expect(result.stderr).toMatch(/index: default synced \d+s ago, alpha synced \d+s ago, vendored synced \d+s ago/)
    const human = await cli(['oci', 'search', 'redis'])
    expect(human.stdout).toMatch(/^redis\s+taskserv\s+7\.3\.0\s+alpha\s+redis 7\.3\.0$/m)
  })

  it('--repository restricts oci search and module discover; an unknown name is exit 4', async () => {
    const only = json<SearchDoc>(await cli(['oci', 'search', 'redis', '--repository', 'vendored', '--json']))
    expect(only.matches.map((m) => m.repository)).toEqual(['vendored'])
    expect(only.repositories.map((p) => p.repository)).toEqual(['vendored'])
    const discovered = json<DiscoverDoc>(await cli(['module', 'discover', 'taskserv', 'redis', '--repository', 'alpha', '--json']))
    expect(discovered.modules.filter((m) => m.source === 'registry').map((m) => [m.repository, m.version])).toEqual([['alpha', '7.3.0']])
    const unknown = await cli(['oci', 'search', 'redis', '--repository', 'nope', '--json'])
    expect(unknown.exitCode).toBe(4)
    expect(json<{error: {message: string; hint: string}}>(unknown).error.hint).toContain('default, alpha, vendored')
  })

  it('module discover lists each repository offer, keeping its JSON shape and naming the repository', async () => {
    const doc = json<DiscoverDoc>(await cli(['module', 'discover', '--json']))
    const registry = doc.modules.filter((m) => m.source === 'registry')
    expect(registry.map((m) => [m.name, m.repository, m.version])).toEqual([
      ['local-only', 'vendored', '0.1.0'],
      ['postgres', 'default', '16.1.0'],
      ['redis', 'default', '6.2.0'],
      ['redis', 'alpha', '7.3.0'],
      ['redis', 'vendored', '5.0.0'],
      ['zeta', 'alpha', '1.0.0'],
    ])
    expect(doc.warnings).toEqual([])
    const human = await cli(['module', 'discover', 'taskserv', 'postgres'])
    expect(human.stdout).toMatch(/^postgres\s+taskserv\s+16\.1\.0\s+registry \(default\)\s+postgres 16\.1\.0$/m)
  })

  it("a user's repository_selector (their own config.user.toml) hides a repository from search; the default one stays", async () => {
    const otherHome = path.join(box.root, 'selective-home')
    await mkdir(otherHome)
    await writeFile(path.join(otherHome, 'config.user.toml'), 'repository_selector = "env=prod"\n')
    const doc = json<SearchDoc>(await cli(['oci', 'search', 'redis', '--json'], {env: {PROVISIONING_HOME: otherHome}}))
    expect(doc.matches.map((m) => m.repository)).toEqual(['default', 'alpha'])
    expect(doc.repositories.map((p) => [p.repository, p.refreshed])).toEqual([
      ['default', true],
      ['alpha', true],
    ])
    const hidden = await cli(['repo', 'sync', 'vendored', '--json'], {env: {PROVISIONING_HOME: otherHome}})
    expect(hidden.exitCode).toBe(4)
    expect(json<{error: {message: string}}>(hidden).error.message).toContain('hidden by your repository_selector')
  })

  it('an unreachable repository is reported with its error (exit 6) while the others sync; search still answers', async () => {
    const unreachable = ['--set', 'repositories.gone.url=oci://127.0.0.1:9/nothing']
    const result = await cli(['repo', 'sync', ...unreachable, '--json'])
    expect(result.exitCode).toBe(6)
    const doc = json<SyncDoc>(result)
    expect(doc.exit).toBe(6)
    expect(doc.repositories.map((r) => [r.repository, r.ok])).toEqual([
      ['default', true],
      ['alpha', true],
      ['gone', false],
      ['vendored', true],
    ])
    expect(report(doc, 'gone').error).toMatchObject({code: 'E_REGISTRY', exit: 6})
    const search = await cli(['oci', 'search', 'redis', ...unreachable, '--json'])
    expect(search.exitCode, search.stderr).toBe(0)
    const found = json<SearchDoc>(search)
    expect(found.matches.map((m) => m.repository)).toEqual(['default', 'alpha', 'vendored'])
    expect(found.repositories.find((p) => p.repository === 'gone')).toMatchObject({missing: true, error: expect.stringContaining('127.0.0.1:9')})
    expect(search.stderr).toContain('"provisioning repo sync gone" builds what is missing')
    // --offline asks nothing of anyone: the missing part is reported as such.
    const offline = json<SearchDoc>(await cli(['oci', 'search', 'redis', ...unreachable, '--offline', '--json']))
    expect(offline.repositories.find((p) => p.repository === 'gone')).toEqual({
      repository: 'gone',
      url: 'oci://127.0.0.1:9/nothing',
      refreshed: false,
      missing: true,
    })
  })

  it('an artifact that is not an extension skips only its tag (said in skipped); one with a foreign config is indexed without fields', async () => {
    const registry = registryA().url
    const put = async (url: string, body: string | Buffer, type: string) => {
      const response = await fetch(url.startsWith('http') ? url : `${registry}${url}`, {method: 'PUT', body, headers: {'content-type': type}})
      expect(response.status, await response.text()).toBe(201)
    }
    // An image whose config has a media type of its own (not an extension config) at 2.0.0, and
    // an empty image index (no manifest to read) at 1.0.0 of the same repository (distribution's
    // _catalog lists only repositories holding a blob).
    const config = Buffer.from('{"hello":"world"}')
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`
    const started = await fetch(`${registry}/v2/team/foreign/blobs/uploads/`, {method: 'POST'})
    expect(started.status).toBe(202)
    const location = new URL(started.headers.get('location') as string, registry)
    location.searchParams.set('digest', configDigest)
    await put(location.toString(), config, 'application/octet-stream')
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {mediaType: 'application/vnd.example.bogus+json', digest: configDigest, size: config.byteLength},
      layers: [],
    }
    await put('/v2/team/foreign/manifests/2.0.0', JSON.stringify(manifest), 'application/vnd.oci.image.manifest.v1+json')
    const emptyIndex = JSON.stringify({schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: []})
    await put('/v2/team/foreign/manifests/1.0.0', emptyIndex, 'application/vnd.oci.image.index.v1+json')

    const doc = await sync(['alpha'])
    expect(doc.exit).toBe(0)
    expect(report(doc, 'alpha')).toMatchObject({ok: true, added: 1, extensions: 3})
    expect(report(doc, 'alpha').skipped).toEqual([expect.stringMatching(/^team\/foreign:1\.0\.0: .*empty index/)])
    const index = await indexOf('alpha')
    expect(index.extensions.map((e) => [e.name, e.versions.map((v) => v.tag)])).toEqual([
      ['foreign', ['2.0.0']],
      ['redis', ['7.3.0', '7.2.0', '7.1.0']],
      ['zeta', ['1.0.0']],
    ])
    expect(index.extensions[0].versions[0]).toEqual({tag: '2.0.0', digest: expect.stringMatching(/^sha256:/), keywords: []})
    // The skipped tag is tried again (and said again) by the next sync; the text report says it too.
    const human = await cli(['repo', 'sync', 'alpha'])
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^alpha: skipped team\/foreign:1\.0\.0: .*empty index/m)
  })
})
