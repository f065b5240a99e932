import {chmod, cp, utimes} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type FaultProxyHandle, startFaultProxy} from '../fixtures/fault-proxy.js'
import {type CliResult, json, repoRoot, runCli} from '../helpers/cli.js'
import {useRegistry} from '../helpers/registry.js'
import {readTree} from '../helpers/tree.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * The built CLI end to end against a real registry (through a transparent proxy that logs
 * every request) and against the local OCI layout store: generate → push → tags → inspect →
 * pull, reproducibility, no re-upload, cross-repository mount, list/search, delete, ordering.
 */
const EXAMPLES = path.join(repoRoot, 'templates/examples/taskservs')
const REDIS = path.join(EXAMPLES, 'redis/7.2.0')
const NS = 'provisioning-extensions'
const ARTIFACT_TYPE = 'application/vnd.provisioning.extension.v1'
const CONFIG_TYPE = 'application/vnd.provisioning.extension.config.v1+json'
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip'

interface PushJson {
  reference: string
  digest: string
  transferred?: number
  skipped?: number
  mounted?: number
}
interface TagsJson {
  tags: Array<{tag: string; version?: string; reference: string}>
}
interface InspectJson {
  reference: string
  digest: string
  size: number
  mediaType: string
  artifactType: string
  config: {mediaType: string; digest: string; size: number}
  layers: Array<{mediaType: string; digest: string; size: number; annotations?: Record<string, string>}>
  annotations: Record<string, string>
  extension: Record<string, unknown>
}
interface SearchJson {
  fromCache: boolean
  matches: Array<{name: string; latest?: string}>
}

function expectExit(result: CliResult, code: number): CliResult {
  if (result.exitCode !== code) throw new Error(`expected exit ${code}, got ${result.exitCode}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  return result
}
const ok = (result: CliResult) => expectExit(result, 0)

describe.each(['registry', 'layout'] as const)('oci round trip on a %s store', (kind) => {
  const registry = kind === 'registry' ? useRegistry() : undefined
  let box: Sandbox
  let proxy: FaultProxyHandle | undefined
  let store: string
  let env: Record<string, string | undefined>
  let redisDigest: string

  const cli = async (args: string[], extra: Record<string, string | undefined> = {}) => runCli(args, {env: {...env, ...extra}})
  const cliJson = async <T>(args: string[], extra: Record<string, string | undefined> = {}) => json<T>(ok(await cli([...args, '--json'], extra)))
  /** The canonical reference the CLI prints for NS/name:tag in this store. */
  const refOf = (name: string, tag: string) => `${store}/${NS}/${name}:${tag}`

  beforeAll(async () => {
    box = await sandbox()
    if (registry) {
      proxy = await startFaultProxy({target: registry().url})
      store = proxy.host
    } else {
      store = `oci-layout://${path.join(box.root, 'store')}`
    }
    env = {...box.env, PROVISIONING_OCI__REGISTRY: store, SOURCE_DATE_EPOCH: undefined, REGISTRY_AUTH_FILE: undefined}
  })
  afterAll(async () => {
    await proxy?.stop()
    await box?.cleanup()
  })

  it('generate → push → tags → inspect → pull gives back every file byte for byte, mode for mode', async () => {
    const src = path.join(box.root, 'src', 'webcache')
    ok(await cli(['generate', 'extension', 'taskserv', 'webcache', '--path', src]))
    const pushed = await cliJson<PushJson>(['oci', 'push', src])
    expect(pushed.reference).toBe(refOf('webcache', '0.1.0'))
    expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/)

    const tags = await cliJson<TagsJson>(['oci', 'tags', 'webcache'])
    expect(tags.tags).toEqual([{tag: '0.1.0', version: '0.1.0', reference: refOf('webcache', '0.1.0')}])

    const inspected = await cliJson<InspectJson>(['oci', 'inspect', 'webcache:0.1.0'])
    expect(inspected.digest).toBe(pushed.digest)
    expect(inspected.mediaType).toBe('application/vnd.oci.image.manifest.v1+json')
    expect(inspected.artifactType).toBe(ARTIFACT_TYPE)
    expect(inspected.config.mediaType).toBe(CONFIG_TYPE)
    expect(inspected.layers).toHaveLength(1)
    expect(inspected.layers[0].mediaType).toBe(LAYER_TYPE)
    expect(inspected.layers[0].annotations?.['org.opencontainers.image.title']).toBe('webcache-0.1.0.tar.gz')
    expect(inspected.annotations).toMatchObject({
      'org.opencontainers.image.title': 'webcache',
      'org.opencontainers.image.version': '0.1.0',
      'org.opencontainers.image.description': 'The webcache taskserv',
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
    })
    expect(inspected.extension).toMatchObject({name: 'webcache', type: 'taskserv', version: '0.1.0'})

    const out = path.join(box.root, 'pulled', 'webcache')
    const pulled = await cliJson<{digest: string; output: string}>(['oci', 'pull', 'webcache:0.1.0', '--output', out])
    expect(pulled.digest).toBe(pushed.digest)
    expect(pulled.output).toBe(out)
    expect(await readTree(out)).toEqual(await readTree(src))

    // A second pull is served from the blob cache: no blob is fetched again.
    proxy?.clear()
    const again = await cliJson<{digest: string; cached: boolean}>(['oci', 'pull', 'webcache:0.1.0', '--output', path.join(box.root, 'pulled', 'again')])
    expect(again).toMatchObject({digest: pushed.digest, cached: true})
    if (proxy) expect(proxy.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'))).toEqual([])
    expect(await readTree(path.join(box.root, 'pulled', 'again'))).toEqual(await readTree(src))
  })

  it('is reproducible: the same folder gives the same digest, whatever the file times and umask', async () => {
    const first = await cliJson<PushJson>(['oci', 'push', REDIS])
    // A fresh copy (new mtimes) under a strict umask (0600 files, 0700 exec and folders).
    const copy = path.join(box.root, 'src', 'redis-copy')
    await cp(REDIS, copy, {recursive: true, preserveTimestamps: false})
    for (const [rel, entry] of Object.entries(await readTree(copy))) {
      await chmod(path.join(copy, rel), entry.type === 'dir' || Number.parseInt(entry.mode, 8) & 0o100 ? 0o700 : 0o600)
    }
    await utimes(path.join(copy, 'manifest.yaml'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'))
    const second = await cliJson<PushJson>(['oci', 'push', copy])
    expect(second.digest).toBe(first.digest)
    redisDigest = first.digest
  })

  // Packaging does not depend on the store: checked once, on the registry.
  it.runIf(kind === 'registry')('SOURCE_DATE_EPOCH sets the "created" annotation', async () => {
    const epoch = 1_700_000_000
    // Other content under a published version: --force (published versions are immutable).
    const dated = await cliJson<PushJson>(['oci', 'push', REDIS, '--force'], {SOURCE_DATE_EPOCH: String(epoch)})
    expect(dated.digest).not.toBe(redisDigest)
    const inspected = await cliJson<InspectJson>(['oci', 'inspect', 'redis:7.2.0'])
    expect(inspected.digest).toBe(dated.digest)
    expect(inspected.annotations['org.opencontainers.image.created']).toBe('2023-11-14T22:13:20Z')
    const again = await cliJson<PushJson>(['oci', 'push', REDIS, '--force'])
    expect(again.digest).toBe(redisDigest)
  })

  // Counting requests needs the fault proxy in front of a registry; a layout store has no HTTP.
  it.runIf(kind === 'registry')('a second push of an unchanged extension uploads no blob', async () => {
    proxy!.clear()
    const pushed = await cliJson<PushJson>(['oci', 'push', REDIS])
    expect(pushed.digest).toBe(redisDigest)
    expect(pushed).toMatchObject({transferred: 0, skipped: 2})
    const requests = proxy!.requests.map((r) => `${r.method} ${r.path}`)
    expect(requests.filter((r) => r.startsWith('POST ') || r.startsWith('PUT ') || r.startsWith('PATCH '))).toEqual([])
    const blobHeads = requests.filter((r) => /^HEAD \/v2\/.+\/blobs\/sha256:/.test(r))
    expect(blobHeads).toHaveLength(2)
    // The version guard's HEAD of the tag (is the version taken?), then the copy's own check.
    const manifestChecks = requests.filter((r) => /\/manifests\//.test(r))
    expect(manifestChecks.length).toBeLessThanOrEqual(2)
    expect(manifestChecks.every((r) => r.startsWith('HEAD '))).toBe(true)
    expect(requests.filter((r) => r !== 'GET /v2/' && !r.startsWith('HEAD '))).toEqual([])
  })

  // Cross-repository mount is a registry API; layout stores copy files.
  it.runIf(kind === 'registry')('oci copy within one registry mounts the blobs instead of uploading them', async () => {
    proxy!.clear()
    const copied = await cliJson<{digest: string; destination: string; mounted: number; transferred: number}>([
      'oci',
      'copy',
      'redis:7.2.0',
      `oci://${store}/mirror/redis`,
    ])
    expect(copied).toMatchObject({digest: redisDigest, destination: `${store}/mirror/redis:7.2.0`, mounted: 2, transferred: 0})
    const mounts = proxy!.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v2/mirror/redis/blobs/uploads/'))
    expect(mounts).toHaveLength(2)
    const inspected = await cliJson<InspectJson>(['oci', 'inspect', 'redis:7.2.0'])
    const expected = [inspected.config.digest, inspected.layers[0].digest].sort()
    const params = mounts.map((r) => new URL(r.path, 'http://proxy').searchParams)
    expect(params.map((p) => p.get('mount')).sort()).toEqual(expected)
    expect(params.map((p) => p.get('from'))).toEqual([`${NS}/redis`, `${NS}/redis`])
    expect(mounts.map((r) => r.status)).toEqual([201, 201])
    expect(proxy!.requests.filter((r) => r.method === 'PUT' && /\/blobs\//.test(r.path))).toEqual([])
    expect(proxy!.requests.filter((r) => r.method === 'PATCH')).toEqual([])
    const mirrored = await cliJson<InspectJson>(['oci', 'inspect', `oci://${store}/mirror/redis:7.2.0`])
    expect(mirrored.digest).toBe(redisDigest)
  })

  it('oci tags orders by semver, highest first, non-semver tags last', async () => {
    for (const version of ['1.7.2', '1.6.0', '1.6.9']) ok(await cli(['oci', 'push', path.join(EXAMPLES, 'containerd', version)]))
    // 1.6.10 sorts before 1.6.9 as text but after it as semver.
    ok(await cli(['oci', 'copy', 'containerd:1.6.9', 'containerd:1.6.10']))
    ok(await cli(['oci', 'copy', 'containerd:1.6.0', 'containerd:latest']))
    const tags = await cliJson<TagsJson>(['oci', 'tags', 'containerd'])
    expect(tags.tags.map((t) => t.tag)).toEqual(['1.7.2', '1.6.10', '1.6.9', '1.6.0', 'latest'])
    expect(tags.tags.map((t) => t.reference)).toEqual(['1.7.2', '1.6.10', '1.6.9', '1.6.0', 'latest'].map((t) => refOf('containerd', t)))
    const missing = expectExit(await cli(['oci', 'tags', 'nothere']), 4)
    expect(missing.stderr).toContain(`${NS}/nothere`)
    expect(missing.stderr).toContain('oci list')
    if (kind === 'layout') return
    const table = ok(await cli(['oci', 'tags', 'containerd'])).stdout
    const rows = table
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s+/)[1])
    expect(rows).toEqual(['1.7.2', '1.6.10', '1.6.9', '1.6.0', 'latest'])
  })

  it('oci list shows every extension with its newest version', async () => {
    const listed = await cliJson<{extensions: Array<{name: string; latest?: string; versions: number; repository: string}>}>(['oci', 'list'])
    const byName = Object.fromEntries(listed.extensions.map((e) => [e.name, e]))
    expect(byName.webcache).toMatchObject({latest: '0.1.0', versions: 1, repository: `${NS}/webcache`})
    expect(byName.redis).toMatchObject({latest: '7.2.0', versions: 1})
    expect(byName.containerd).toMatchObject({latest: '1.7.2', versions: 4})
    if (kind === 'layout') return
    const human = ok(await cli(['oci', 'list'])).stdout
    expect(human).toMatch(/^containerd\s+1\.7\.2\s+4\s/m)
  })

  it('oci search answers from the cached index, which a push through the CLI updates in place, until --refresh', async () => {
    const first = await cliJson<SearchJson>(['oci', 'search', 'in-memory', '--refresh'])
    expect(first.fromCache).toBe(false)
    expect(first.matches.map((m) => m.name)).toEqual(['redis'])

    ok(await cli(['oci', 'push', path.join(EXAMPLES, 'postgres/16.1.0')]))
    proxy?.clear()
    // The push updated the cached entry (issue 12: it was missing until --refresh): no _catalog walk.
    const cached = await cliJson<SearchJson>(['oci', 'search', 'relational'])
    expect(cached.fromCache).toBe(true)
    expect(cached.matches.map((m) => [m.name, m.latest])).toEqual([['postgres', '16.1.0']])
    if (proxy) expect(proxy.requests.filter((r) => r.path.startsWith('/v2/_catalog'))).toEqual([])

    const refreshed = await cliJson<SearchJson>(['oci', 'search', 'relational', '--refresh'])
    expect(refreshed.fromCache).toBe(false)
    expect(refreshed.matches.map((m) => [m.name, m.latest])).toEqual([['postgres', '16.1.0']])
    if (proxy) expect(proxy.requests.some((r) => r.path.startsWith('/v2/_catalog'))).toBe(true)
    // The refreshed index is the cache for the next search, which also matches tags ("cncf").
    const next = await cliJson<SearchJson>(['oci', 'search', 'cncf'])
    expect(next.fromCache).toBe(true)
    expect(next.matches.map((m) => m.name)).toEqual(['containerd'])
  })

  it('oci delete needs --yes without a TTY, and then removes the version', async () => {
    const refused = expectExit(await cli(['oci', 'delete', 'containerd:1.6.9']), 2)
    expect(refused.stderr).toContain('--yes')
    if (kind === 'registry') {
      // The refusal happens before the store is touched, so once is enough.
      const refusedJson = expectExit(await cli(['oci', 'delete', 'containerd:1.6.9', '--json']), 2)
      expect(refusedJson.stderr).toBe('')
      expect(json<{error: {exit: number; hint: string}}>(refusedJson).error).toMatchObject({exit: 2, hint: expect.stringContaining('--yes')})
    }

    const deleted = await cliJson<{digest: string; deleted: boolean}>(['oci', 'delete', 'containerd:1.7.2', '--yes'])
    expect(deleted.deleted).toBe(true)
    // Only the confirmed deletion happened: 1.6.9 (refused above) is still there.
    const tags = (await cliJson<TagsJson>(['oci', 'tags', 'containerd'])).tags.map((t) => t.tag)
    expect(tags).toEqual(['1.6.10', '1.6.9', '1.6.0', 'latest'])
    expectExit(await cli(['oci', 'inspect', 'containerd:1.7.2']), 4)
  })
})
