import {readdir, rm} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type FaultProxyHandle, startFaultProxy} from '../fixtures/fault-proxy.js'
import {json} from '../helpers/cli.js'
import {
  bareWorkspace,
  declare,
  depResolve,
  type ErrorDoc,
  exampleDir,
  exampleDirs,
  filesOf,
  installedDirs,
  lockPath,
  type Modules,
  publish,
  readLock,
  type ResolveDoc,
} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §9.3 --offline and lock following: after one online resolve, the blob cache and the
 * tag index are enough (registry stopped), and an up-to-date lock with a warm cache asks the
 * registry nothing at all, not even the /v2/ ping, even when the installed folders are gone.
 */
const MODULES: Modules = {
  providers: ['aws:2.1.0'],
  taskservs: ['containerd:1.6.9', {name: 'redis', version: '^7'}],
  clusters: [{name: 'k8s-basic', version: '^1.0'}],
}
const GROUP_OF: Record<string, string> = {provider: 'providers', taskserv: 'taskservs', cluster: 'clusters'}

async function expectInstalledFromSources(ws: string, order: ResolveDoc['order']): Promise<void> {
  const installed = await installedDirs(ws)
  expect(Object.keys(installed).sort()).toEqual(order.map((e) => `${GROUP_OF[e.type]}/${e.name}`).sort())
  for (const e of order)
    expect(await filesOf(installed[`${GROUP_OF[e.type]}/${e.name}`])).toEqual(await filesOf(exampleDir(GROUP_OF[e.type], e.name, e.version)))
}

describe('dep resolve from the cache', () => {
  let registry: RegistryHandle
  let proxy: FaultProxyHandle
  let box: Sandbox
  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    await publish(registry.host, box.env, await exampleDirs())
    proxy = await startFaultProxy({target: registry.url})
  })
  afterAll(async () => {
    await proxy?.stop()
    await registry?.stop()
    await box?.cleanup()
  })

  it('with an up-to-date lock and a warm cache, makes zero registry requests, even after the extensions folder is deleted', async () => {
    const ws = await bareWorkspace(box.root, 'proxied')
    await declare(ws, {registry: proxy.host}, MODULES)
    const online = await depResolve(ws, box.env, ['--json'])
    expect(online.exitCode, online.stderr).toBe(0)
    expect(proxy.requests.length).toBeGreaterThan(0)
    const lock = await readLock(ws)

    proxy.clear()
    const followed = await depResolve(ws, box.env, ['--json'])
    expect(followed.exitCode, followed.stderr).toBe(0)
    expect(json<ResolveDoc>(followed)).toMatchObject({followedLock: true, installed: [], lockWritten: false})
    expect(proxy.requests).toEqual([])

    // The installed content comes back from the blob cache: manifests and layers by digest.
    await rm(path.join(ws, 'extensions'), {recursive: true})
    for (const args of [[], ['--frozen'], ['--offline']]) {
      const restored = await depResolve(ws, box.env, [...args, '--json'])
      expect(restored.exitCode, restored.stderr).toBe(0)
      const doc = json<ResolveDoc>(restored)
      expect(doc.followedLock).toBe(true)
      if (args.length === 0) expect([...doc.installed].sort()).toEqual(doc.order.map((e) => e.name).sort())
      await expectInstalledFromSources(ws, doc.order)
      await rm(path.join(ws, 'extensions'), {recursive: true})
    }
    expect(proxy.requests).toEqual([])
    expect(await readLock(ws)).toBe(lock)

    // --offline with the lock but an empty cache: a clear error, and still no request.
    const cold = await depResolve(ws, {...box.env, PROVISIONING_HOME: path.join(box.root, 'empty-home')}, ['--offline', '--json'])
    expect(cold.exitCode).toBe(6)
    expect(json<ErrorDoc>(cold).error.message).toMatch(/is not in the cache, and --offline forbids fetching it/)
    expect(proxy.requests).toEqual([])
  })

  it('--offline resolves from the cache with the registry stopped (no lock), and says clearly when the cache lacks something', async () => {
    const ws = await bareWorkspace(box.root, 'offline')
    await declare(ws, {registry: registry.host}, MODULES)
    const online = await depResolve(ws, box.env, ['--json'])
    expect(online.exitCode, online.stderr).toBe(0)
    const lock = await readLock(ws)

    await registry.stop()
    await rm(lockPath(ws))
    await rm(path.join(ws, 'extensions', 'taskservs'), {recursive: true})
    const offline = await depResolve(ws, box.env, ['--offline', '--json'])
    expect(offline.exitCode, offline.stderr).toBe(0)
    const doc = json<ResolveDoc>(offline)
    expect(doc).toMatchObject({followedLock: false, lockWritten: true})
    expect(doc.order.map((e) => `${e.name}@${e.version}`)).toEqual(json<ResolveDoc>(online).order.map((e) => `${e.name}@${e.version}`))
    expect(await readLock(ws)).toBe(lock)
    await expectInstalledFromSources(ws, doc.order)

    // A name never fetched online is not in the cache: a clear error, not a hang or a crash.
    await declare(ws, {registry: registry.host}, {...MODULES, taskservs: [...(MODULES.taskservs ?? []), 'postgres']})
    const missing = await depResolve(ws, box.env, ['--offline', '--json'])
    expect(missing.exitCode).toBe(6)
    const {error} = json<ErrorDoc>(missing)
    expect(error.message).toContain('postgres: no tags of')
    expect(error.message).toContain('--offline forbids listing them')
    expect(error.hint).toContain('without --offline')

    // An empty cache (another PROVISIONING_HOME) with the registry gone: the same kind of clear error.
    const cold = await depResolve(ws, {...box.env, PROVISIONING_HOME: path.join(box.root, 'cold-home')}, ['--offline'])
    expect(cold.exitCode).toBe(6)
    expect(cold.stderr).toContain('--offline')
    expect(await readLock(ws)).toBe(lock)
    expect((await readdir(path.join(ws, 'extensions', 'taskservs'))).filter((e) => !e.startsWith('.')).sort()).toEqual(
      ['containerd', 'etcd', 'kubernetes', 'redis', 'cilium'].sort(),
    )
  })
})
