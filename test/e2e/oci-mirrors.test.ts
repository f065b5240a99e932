import {randomBytes} from 'node:crypto'
import {readdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type FaultProxyHandle, startFaultProxy} from '../fixtures/fault-proxy.js'
import {type HttpProxyHandle, PROXY_VARIABLES_UNSET, startHttpProxy} from '../fixtures/http-proxy.js'
import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, filesOf, installedDirs, writeExtension} from '../helpers/deps.js'
import {freePort} from '../helpers/processes.js'
import {blobPath, type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

const NAMESPACE = 'provisioning-extensions'

interface PushDoc {
  digest: string
}

/**
 * Pull mirrors (issue 15 item 5): two real registries, the upstream behind a counting reverse
 * proxy (its request log) and a mirror filled with `oci copy`. Tags are resolved at the
 * upstream; content by digest comes from the mirror; a mirror that is down is skipped, one
 * that serves other bytes is caught by digest and named in a warning.
 */
describe('oci.mirrors (built CLI, two real registries)', () => {
  let upstream: RegistryHandle
  let front: FaultProxyHandle
  let mirror: RegistryHandle
  let box: Sandbox
  let src: string
  let layerDigest: string
  let cacheNo = 0

  const mirrorsToml = (...hosts: string[]) => `[[oci.mirrors]]\nregistry = "${front.host}"\nmirrors = [${hosts.map((h) => `"${h}"`).join(', ')}]\n`
  const useMirrors = (...hosts: string[]) => writeFile(path.join(box.home, 'config.user.toml'), mirrorsToml(...hosts))
  /** A fresh blob cache per run: a cached digest is never fetched from anywhere. */
  const env = () => ({
    ...box.env,
    ...PROXY_VARIABLES_UNSET,
    PROVISIONING_OCI__REGISTRY: front.host,
    PROVISIONING_OCI__CACHE__DIR: path.join(box.root, `cache-${++cacheNo}`),
  })
  const blobGets = () => front.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'))
  const pull = (output: string) => runCli(['oci', 'pull', 'redis:1.0.0', '--output', path.join(box.root, output), '--json'], {env: env()})

  beforeAll(async () => {
    upstream = await startRegistry()
    front = await startFaultProxy({target: upstream.url})
    mirror = await startRegistry()
    box = await sandbox()
    src = path.join(box.root, 'src', 'redis')
    await writeExtension(src, {name: 'redis', version: '1.0.0'}, {'conf/redis.conf': 'maxmemory 64mb\n', 'README.md': 'the real redis\n'})
    const push = await runCli(['oci', 'push', src, '--json'], {env: env()})
    expect(push.exitCode, push.stderr).toBe(0)
    const copy = await runCli(['oci', 'copy', `${front.host}/${NAMESPACE}/redis:1.0.0`, `${mirror.host}/${NAMESPACE}/redis:1.0.0`, '--json'], {env: env()})
    expect(copy.exitCode, copy.stderr).toBe(0)
    layerDigest = json<{layers: Array<{digest: string}>}>(await runCli(['oci', 'inspect', 'redis:1.0.0', '--json'], {env: env()})).layers[0].digest
    expect(layerDigest).toMatch(/^sha256:/)
    expect(json<PushDoc>(push).digest).toMatch(/^sha256:/)
  })
  afterAll(async () => {
    await front?.stop()
    await upstream?.stop()
    await mirror?.stop()
    await box?.cleanup()
  })

  it('oci pull: the tag is resolved at the registry, every blob comes from the mirror', async () => {
    await useMirrors(mirror.host)
    front.clear()
    const result = await pull('from-mirror')
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await filesOf(path.join(box.root, 'from-mirror'))).toEqual(await filesOf(src))
    expect(front.requests.some((r) => r.path.includes('/manifests/1.0.0'))).toBe(true)
    expect(blobGets()).toEqual([])
    expect(result.stderr).not.toContain('warning')
  })

  it('dep resolve installs from the mirror too (the registry answers no blob GET)', async () => {
    await useMirrors(mirror.host)
    const ws = await bareWorkspace(box.root, 'ws')
    await declare(ws, {registry: front.host}, {taskservs: [{name: 'redis', version: '1.0.0'}]})
    front.clear()
    const result = await depResolve(ws, env(), ['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(Object.keys(await installedDirs(ws))).toEqual(['taskservs/redis'])
    expect(blobGets()).toEqual([])
  })

  it('a mirror that is down (or lacks the content) is skipped silently: the registry serves', async () => {
    const closed = await freePort()
    const empty = await startRegistry()
    try {
      await useMirrors(`127.0.0.1:${closed}`, empty.host)
      front.clear()
      const result = await pull('mirror-down')
      expect(result.exitCode, result.stderr).toBe(0)
      expect(await filesOf(path.join(box.root, 'mirror-down'))).toEqual(await filesOf(src))
      expect(blobGets().length).toBeGreaterThan(0)
      expect(result.stderr).not.toContain('warning')
    } finally {
      await empty.stop()
    }
  })

  it('a lying mirror (other bytes under the digest) is caught: warning naming it, the registry serves, its files are installed', async () => {
    await useMirrors(mirror.host)
    const file = blobPath(mirror, layerDigest)
    const size = (await stat(file)).size
    await writeFile(file, Buffer.alloc(size, 0x41))
    front.clear()
    const result = await pull('liar')
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toContain(`warning: mirror ${mirror.host} answered blob ${layerDigest} with content that does not match its digest`)
    expect(await filesOf(path.join(box.root, 'liar'))).toEqual(await filesOf(src))
    expect(await readFile(path.join(box.root, 'liar', 'README.md'), 'utf8')).toBe('the real redis\n')
    // Only the rejected layer came from the registry.
    expect(blobGets().map((r) => r.path.split('/').at(-1))).toEqual([layerDigest])

    // dep resolve reports the same warning and installs the registry's files.
    const ws = await bareWorkspace(box.root, 'ws-liar')
    await declare(ws, {registry: front.host}, {taskservs: [{name: 'redis', version: '1.0.0'}]})
    const resolved = await depResolve(ws, env(), ['--json'])
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    expect(json<{warnings: string[]}>(resolved).warnings).toContainEqual(expect.stringContaining(`mirror ${mirror.host} answered blob ${layerDigest}`))
    expect(await readFile(path.join(ws, 'extensions', 'taskservs', 'redis', 'README.md'), 'utf8')).toBe('the real redis\n')
  })

  it('a large layer (streamed, unpacked as it arrives) from a lying mirror: discarded, the registry serves, nothing of the lie is left', async () => {
    const big = path.join(box.root, 'src', 'bigdata')
    const payload = randomBytes(6 * 1024 * 1024)
    await writeExtension(big, {name: 'bigdata', version: '1.0.0'}, {'data.bin': payload})
    expect((await runCli(['oci', 'push', big, '--json'], {env: env()})).exitCode).toBe(0)
    await useMirrors(mirror.host)
    const copy = await runCli(['oci', 'copy', `${front.host}/${NAMESPACE}/bigdata:1.0.0`, `${mirror.host}/${NAMESPACE}/bigdata:1.0.0`, '--json'], {env: env()})
    expect(copy.exitCode, copy.stderr).toBe(0)
    const digest = json<{layers: Array<{digest: string}>}>(await runCli(['oci', 'inspect', 'bigdata:1.0.0', '--json'], {env: env()})).layers[0].digest
    const file = blobPath(mirror, digest)
    await writeFile(file, randomBytes((await stat(file)).size))
    const result = await runCli(['oci', 'pull', 'bigdata:1.0.0', '--output', path.join(box.root, 'big'), '--json'], {env: env()})
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(result.stderr).toContain(`warning: mirror ${mirror.host} answered blob ${digest}`)
    expect((await readFile(path.join(box.root, 'big', 'data.bin'))).equals(payload)).toBe(true)
    expect((await readdir(box.root)).filter((name) => name.startsWith('.big'))).toEqual([])
  })

  it('pushes never go to a mirror', async () => {
    await useMirrors(mirror.host)
    const other = path.join(box.root, 'src', 'etcd')
    await writeExtension(other, {name: 'etcd', version: '3.5.0'})
    const push = await runCli(['oci', 'push', other, '--json'], {env: env()})
    expect(push.exitCode, push.stderr).toBe(0)
    const onMirror = await runCli(['oci', 'tags', `${mirror.host}/${NAMESPACE}/etcd`, '--json'], {env: env()})
    expect(onMirror.exitCode).toBe(4)
  })

  it.each([
    ['credentials in a mirror host', `[[oci.mirrors]]\nregistry = "reg.example"\nmirrors = ["user:hunter2@mirror.example"]\n`, 'oci.mirrors[0].mirrors[0]'],
    ['a mirror equal to its registry', `[[oci.mirrors]]\nregistry = "reg.example:5000"\nmirrors = ["REG.example:5000"]\n`, 'oci.mirrors[0].mirrors[0]'],
    ['a URL instead of a host', `[[oci.mirrors]]\nregistry = "https://reg.example/v2"\nmirrors = ["m.example"]\n`, 'oci.mirrors[0].registry'],
    ['an unknown key', `[[oci.mirrors]]\nregistry = "reg.example"\nmirrors = ["m.example"]\npull_from_mirror = "all"\n`, 'oci.mirrors[0].pull_from_mirror'],
  ])('bad oci.mirrors (%s): exit 3 naming the key, nothing pulled', async (_what, toml, key) => {
    await writeFile(path.join(box.home, 'config.user.toml'), toml)
    const result = await runCli(['oci', 'pull', 'redis:1.0.0', '--output', path.join(box.root, 'never'), '--json'], {env: env()})
    expect(result.exitCode, result.stdout + result.stderr).toBe(3)
    const {error} = json<{error: {message: string; details: {key: string}}}>(result)
    expect(error.message.startsWith(key)).toBe(true)
    expect(error.details.key).toBe(key)
    expect(result.stdout + result.stderr).not.toContain('hunter2')
    await expect(stat(path.join(box.root, 'never'))).rejects.toThrow()
  })

  it('a workspace cannot choose mirrors for its users: oci.mirrors in config/provisioning.yaml is exit 3, nothing pulled, the mirror never asked', async () => {
    await writeFile(path.join(box.home, 'config.user.toml'), '')
    const ws = await bareWorkspace(box.root, 'ws-mirrors')
    const file = path.join(ws, 'config', 'provisioning.yaml')
    await writeFile(file, `${await readFile(file, 'utf8')}oci:\n  mirrors:\n    - registry: "${front.host}"\n      mirrors: ["${mirror.host}"]\n`)
    const result = await runCli(['oci', 'pull', 'redis:1.0.0', '--output', path.join(box.root, 'never-ws'), '--json'], {env: env(), cwd: ws})
    expect(result.exitCode, result.stdout + result.stderr).toBe(3)
    const {error} = json<{error: {message: string; details: {key: string; layer: string}}}>(result)
    expect(error.message).toContain('oci.mirrors is set in the workspace layer')
    expect(error.details).toMatchObject({key: 'oci.mirrors', layer: 'workspace'})
    await expect(stat(path.join(box.root, 'never-ws'))).rejects.toThrow()
  })
})

describe('mirror credentials (built CLI, two real registries, a proxy to watch the mirror traffic)', () => {
  let upstream: RegistryHandle
  let mirror: RegistryHandle
  let proxy: HttpProxyHandle
  let box: Sandbox

  beforeAll(async () => {
    upstream = await startRegistry({auth: 'basic'})
    mirror = await startRegistry({auth: 'basic', username: 'muser', password: 'mpass'})
    proxy = await startHttpProxy()
    box = await sandbox()
  })
  afterAll(async () => {
    await proxy?.stop()
    await upstream?.stop()
    await mirror?.stop()
    await box?.cleanup()
  })

  it("the mirror gets its own host's credentials, never the registry's", async () => {
    const env = {...box.env, ...PROXY_VARIABLES_UNSET, PROVISIONING_OCI__REGISTRY: upstream.host}
    for (const [host, username, password] of [
      [upstream.host, 'user', 'pass'],
      [mirror.host, 'muser', 'mpass'],
    ]) {
      const login = await runCli(['oci', 'login', host, '--username', username, '--password-stdin', '--json'], {env, input: password})
      expect(login.exitCode, login.stderr).toBe(0)
    }
    const src = path.join(box.root, 'src', 'minio')
    await writeExtension(src, {name: 'minio', version: '2.0.0'}, {'README.md': 'minio\n'})
    expect((await runCli(['oci', 'push', src, '--json'], {env})).exitCode).toBe(0)
    const copy = await runCli(['oci', 'copy', `${upstream.host}/${NAMESPACE}/minio:2.0.0`, `${mirror.host}/${NAMESPACE}/minio:2.0.0`, '--json'], {env})
    expect(copy.exitCode, copy.stderr).toBe(0)
    await writeFile(path.join(box.home, 'config.user.toml'), `[[oci.mirrors]]\nregistry = "${upstream.host}"\nmirrors = ["${mirror.host}"]\n`)
    // Only the mirror's traffic goes through the proxy (NO_PROXY names the registry's host:port), so its log shows what the mirror got.
    const pull = await runCli(['oci', 'pull', 'minio:2.0.0', '--output', path.join(box.root, 'minio'), '--json'], {
      env: {...env, HTTP_PROXY: proxy.url, NO_PROXY: upstream.host, PROVISIONING_OCI__CACHE__DIR: path.join(box.root, 'fresh-cache')},
    })
    expect(pull.exitCode, pull.stderr).toBe(0)
    expect(await readFile(path.join(box.root, 'minio', 'README.md'), 'utf8')).toBe('minio\n')
    const toMirror = proxy.entriesFor(mirror.host)
    expect(toMirror.some((e) => e.method === 'GET' && e.target.includes('/blobs/'))).toBe(true)
    const sent = new Set(toMirror.map((e) => e.authorization).filter((a) => a !== undefined))
    expect([...sent]).toEqual([`Basic ${Buffer.from('muser:mpass').toString('base64')}`])
    expect(proxy.entriesFor(upstream.host)).toEqual([])
  })
})
