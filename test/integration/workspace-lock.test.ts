import {readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {bareWorkspace} from '../helpers/deps.js'
import {type EtcdServer, startEtcd} from '../helpers/etcd.js'
import {tempDir} from '../helpers/cli.js'
import {isProvisioningError} from '../../src/lib/errors.js'
import {FileLockProvider, lockFilePath} from '../../src/lib/workspace/lock/file-provider.js'
import {assertWorkspaceWritable, lockStatus, lockWorkspace, unlockWorkspace} from '../../src/lib/workspace/lock/index.js'
import {newRecord} from '../../src/lib/workspace/lock/record.js'
import {Session} from '../../src/lib/session/session.js'

/**
 * The lock library in-process, against real files and a real etcd: the conditional
 * primitives under contention, and the API other commands call (assertWorkspaceWritable).
 */
describe('workspace lock library', () => {
  let root: {dir: string; cleanup: () => Promise<void>}
  let ws: string
  let etcd: EtcdServer
  const target = () => ({name: 'lib-ws', path: ws})
  const opts = async (owner: string, extra: string[] = []) => ({
    config: await new Session({env: {PROVISIONING_HOME: path.join(root.dir, 'home')}, workspace: ws, sets: [`locking.owner=${owner}`, ...extra]}).config(),
  })
  const etcdSets = () => ['locking.provider=etcd', `locking.etcd.endpoints=["${etcd.endpoint}"]`, 'locking.etcd.timeout_seconds=30']
  const codeOf = (error: unknown) => (isProvisioningError(error) ? error.exit : -1)

  beforeAll(async () => {
    root = await tempDir('prov-lock-lib-')
    ws = await bareWorkspace(root.dir, 'lib-ws')
    etcd = await startEtcd()
  })
  afterAll(async () => {
    await etcd?.stop()
    await root?.cleanup()
  })

  it('file: a guarded removal or takeover acts only on the version it inspected', async () => {
    const provider = new FileLockProvider()
    const first = newRecord({workspace: 'lib-ws', owner: 'a', provider: 'file'})
    expect(await provider.create(target(), first)).toEqual({created: true})
    const seen = await provider.read(target())
    // Someone replaces it meanwhile: the stale token no longer matches.
    const second = newRecord({workspace: 'lib-ws', owner: 'b', provider: 'file'})
    expect(await provider.replace(target(), seen!.token, second)).toBe(true)
    expect(await provider.remove(target(), seen!.token)).toBe(false)
    expect(await provider.replace(target(), seen!.token, first)).toBe(false)
    expect(JSON.parse(await readFile(lockFilePath(ws), 'utf8'))).toMatchObject({owner: 'b'})
    // Many concurrent takeovers of one version: exactly one succeeds.
    const current = await provider.read(target())
    const outcomes = await Promise.all(
      Array.from({length: 12}, (_, i) => provider.replace(target(), current!.token, newRecord({workspace: 'lib-ws', owner: `t${i}`, provider: 'file'}))),
    )
    expect(outcomes.filter(Boolean)).toHaveLength(1)
    expect(await provider.remove(target(), (await provider.read(target()))!.token)).toBe(true)
    expect((await readdir(path.join(ws, 'config'))).filter((f) => f.startsWith('workspace.lock'))).toEqual([])
  })

  it('file: concurrent lockWorkspace calls in one process, one winner', async () => {
    const results = await Promise.allSettled(Array.from({length: 15}, async (_, i) => lockWorkspace(await opts(`p${i}`))))
    const won = results.filter((r) => r.status === 'fulfilled')
    expect(won).toHaveLength(1)
    expect(results.filter((r) => r.status === 'rejected').map((r) => codeOf((r as PromiseRejectedResult).reason))).toEqual(Array(14).fill(9))
    const owner = (won[0] as PromiseFulfilledResult<{lock: {owner: string}}>).value.lock.owner
    expect((await lockStatus(target(), {locking: {owner: 'x'}})).holder?.owner).toBe(owner)
    await unlockWorkspace({...(await opts(owner))})
  })

  it('assertWorkspaceWritable: the check migrate-to-oci and others call', async () => {
    await lockWorkspace({...(await opts('alice')), reason: 'migration'})
    const values = (owner: string, provider = 'none') => ({
      locking: {provider, owner, etcd: {endpoints: [etcd.endpoint], prefix: '/provisioning/locks', timeout_seconds: 30}},
    })
    await expect(assertWorkspaceWritable(target(), values('alice'))).resolves.toBeUndefined()
    const error = await assertWorkspaceWritable(target(), values('bob'), 'migrate it').catch((e: unknown) => e)
    expect(codeOf(error)).toBe(9)
    expect((error as Error).message).toMatch(/locked by alice .*reason "migration".*cannot migrate it/)
    await unlockWorkspace(await opts('alice'))
    await expect(assertWorkspaceWritable(target(), values('bob'))).resolves.toBeUndefined()

    // With provider etcd, the etcd key is checked too (one get).
    await lockWorkspace(await opts('carol', etcdSets()))
    expect(codeOf(await assertWorkspaceWritable(target(), values('bob', 'etcd')).catch((e: unknown) => e))).toBe(9)
    await expect(assertWorkspaceWritable(target(), values('bob', 'file'))).resolves.toBeUndefined()
    await unlockWorkspace(await opts('carol', etcdSets()))
    await expect(assertWorkspaceWritable(target(), values('bob', 'etcd'))).resolves.toBeUndefined()

    await writeFile(lockFilePath(ws), 'not json')
    expect(codeOf(await assertWorkspaceWritable(target(), values('bob')).catch((e: unknown) => e))).toBe(3)
    await unlockWorkspace({...(await opts('bob')), force: true})
  })

  it('etcd: concurrent lockWorkspace calls in one process, one winner; owner-checked unlock', async () => {
    const results = await Promise.allSettled(Array.from({length: 15}, async (_, i) => lockWorkspace({...(await opts(`e${i}`, etcdSets())), ttlSeconds: 60})))
    const won = results.filter((r) => r.status === 'fulfilled')
    expect(won).toHaveLength(1)
    expect(results.filter((r) => r.status === 'rejected').map((r) => codeOf((r as PromiseRejectedResult).reason))).toEqual(Array(14).fill(9))
    const owner = (won[0] as PromiseFulfilledResult<{lock: {owner: string}}>).value.lock.owner
    expect(codeOf(await unlockWorkspace(await opts('someone-else', etcdSets())).catch((e: unknown) => e))).toBe(9)
    expect(await unlockWorkspace(await opts(owner, etcdSets()))).toMatchObject({unlocked: true, forced: false, provider: 'etcd'})
    expect(await unlockWorkspace(await opts(owner, etcdSets()))).toMatchObject({unlocked: false})
  })
})
