import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {json} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, publish, readLock, type ResolveDoc, writeExtension} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface Change {
  name: string
  type: string
  change: string
  from?: string
  to?: string
  reason?: string
  newestAllowed?: string
}
type Doc = ResolveDoc & {changes: Change[]}

/**
 * Issue 12 item 7 against a real registry: the lock is a preference only for names whose
 * requirements are unchanged (like Cargo). A changed declared range is decided afresh, and so
 * is what its new version constrains differently; an unrelated addition moves nothing.
 */
describe('dep resolve: what a declaration change does to the lock', () => {
  let registry: RegistryHandle
  let box: Sandbox
  let src: string
  const ext = (name: string, version: string, fields: Record<string, unknown> = {}) => {
    const dir = path.join(src, name, version)
    return writeExtension(dir, {name, version, ...fields}).then(() => dir)
  }
  const locked = async (ws: string) => {
    const lock = YAML.parse((await readLock(ws)) as string) as {extensions: Array<{name: string; version: string}>}
    return Object.fromEntries(lock.extensions.map((e) => [e.name, e.version]))
  }
  const changeOf = (doc: Doc, name: string) => doc.changes.find((c) => c.name === name)

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    src = path.join(box.root, 'src')
    await publish(registry.host, box.env, [
      await ext('redis', '7.2.0'),
      await ext('redis', '7.2.5'),
      await ext('redis', '7.3.0'),
      await ext('etcd', '3.5.9'),
      await ext('lib', '1.0.0'),
      await ext('lib', '1.5.0'),
      await ext('lib', '2.0.0'),
      await ext('app', '1.0.0', {dependencies: {lib: '^1.0'}}),
      await ext('app', '2.0.0', {dependencies: {lib: '>=1.0'}}),
    ])
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  it('re-decides a changed range (and what its new version constrains), keeps the rest, and says why', async () => {
    const ws = await bareWorkspace(box.root, 'edits')
    const source = {registry: registry.host}
    await declare(ws, source, {
      taskservs: [
        {name: 'redis', version: '~7.2'},
        {name: 'etcd', version: '*'},
        {name: 'app', version: '~1.0'},
      ],
    })
    const first = await depResolve(ws, box.env, ['--json'])
    expect(first.exitCode, first.stderr).toBe(0)
    expect(await locked(ws)).toEqual({redis: '7.2.5', etcd: '3.5.9', app: '1.0.0', lib: '1.5.0'})
    expect(json<Doc>(first).changes.map((c) => c.change)).toEqual(['added', 'added', 'added', 'added'])

    // A newer etcd appears, and an unrelated extension is added: nothing locked moves.
    await publish(registry.host, box.env, [await ext('etcd', '3.6.0'), await ext('extra', '1.0.0')])
    await declare(ws, source, {taskservs: [{name: 'redis', version: '~7.2'}, {name: 'etcd', version: '*'}, {name: 'app', version: '~1.0'}, 'extra']})
    const added = await depResolve(ws, box.env, ['--json'])
    expect(added.exitCode, added.stderr).toBe(0)
    expect(await locked(ws)).toEqual({redis: '7.2.5', etcd: '3.5.9', app: '1.0.0', lib: '1.5.0', extra: '1.0.0'})
    const addedDoc = json<Doc>(added)
    expect(changeOf(addedDoc, 'extra')).toMatchObject({change: 'added', to: '1.0.0'})
    expect(changeOf(addedDoc, 'etcd')).toMatchObject({
      change: 'kept',
      from: '3.5.9',
      to: '3.5.9',
      newestAllowed: '3.6.0',
      reason: 'locked; run "provisioning dep update etcd" to move to 3.6.0',
    })
    expect(changeOf(addedDoc, 'redis')).toEqual({name: 'redis', type: 'taskserv', change: 'kept', from: '7.2.5', to: '7.2.5'})

    // ~7.2 -> >=7.2 and app ~1.0 -> >=1.0: both decided afresh; lib too, since app@2.0.0 puts another range on it.
    await declare(ws, source, {taskservs: [{name: 'redis', version: '>=7.2'}, {name: 'etcd', version: '*'}, {name: 'app', version: '>=1.0'}, 'extra']})
    const planned = await Promise.all([depResolve(ws, box.env, ['--dry-run', '--json']), depResolve(ws, box.env, ['--dry-run', '--json'])])
    expect(json<Doc>(planned[0]).changes).toEqual(json<Doc>(planned[1]).changes)
    const human = await depResolve(ws, box.env)
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stdout).toContain('upgraded redis 7.2.5 -> 7.3.0 (declared range changed: ~7.2 -> >=7.2)')
    expect(human.stdout).toContain('upgraded app 1.0.0 -> 2.0.0 (declared range changed: ~1.0 -> >=1.0)')
    expect(human.stdout).toContain('upgraded lib 1.5.0 -> 2.0.0 (app now requires >=1.0 (was ^1.0))')
    expect(human.stdout).toContain('kept etcd 3.5.9 (locked; run "provisioning dep update etcd" to move to 3.6.0)')
    expect(await locked(ws)).toEqual({redis: '7.3.0', etcd: '3.5.9', app: '2.0.0', lib: '2.0.0', extra: '1.0.0'})
    expect(
      json<Doc>(planned[0])
        .changes.filter((c) => c.change !== 'kept')
        .map((c) => `${c.name} ${c.from}->${c.to}`),
    ).toEqual(['app 1.0.0->2.0.0', 'lib 1.5.0->2.0.0', 'redis 7.2.5->7.3.0'])

    // The same declaration without a lock gives the same versions, but for the held etcd.
    const fresh = await bareWorkspace(box.root, 'fresh')
    await declare(fresh, source, {taskservs: [{name: 'redis', version: '>=7.2'}, {name: 'etcd', version: '*'}, {name: 'app', version: '>=1.0'}, 'extra']})
    expect((await depResolve(fresh, box.env, ['--json'])).exitCode).toBe(0)
    expect(await locked(fresh)).toEqual({...(await locked(ws)), etcd: '3.6.0'})

    // Narrowing a range keeps the locked version when it still fits, and moves it down when not.
    await declare(ws, source, {taskservs: [{name: 'redis', version: '~7.2'}, {name: 'etcd', version: '*'}, {name: 'app', version: '>=1.0'}, 'extra']})
    const narrowed = json<Doc>(await depResolve(ws, box.env, ['--json']))
    expect(changeOf(narrowed, 'redis')).toMatchObject({change: 'downgraded', from: '7.3.0', to: '7.2.5', reason: 'declared range changed: >=7.2 -> ~7.2'})
  })

  it('a removed extension is reported as removed, with its no longer required dependencies', async () => {
    const ws = await bareWorkspace(box.root, 'removal')
    const source = {registry: registry.host}
    await declare(ws, source, {taskservs: [{name: 'app', version: '1.0.0'}, 'etcd']})
    expect((await depResolve(ws, box.env)).exitCode).toBe(0)
    await declare(ws, source, {taskservs: ['etcd']})
    const doc = json<Doc>(await depResolve(ws, box.env, ['--json']))
    expect(doc.changes.filter((c) => c.change === 'removed')).toEqual([
      {name: 'app', type: 'taskserv', change: 'removed', from: '1.0.0', reason: 'no longer required'},
      {name: 'lib', type: 'taskserv', change: 'removed', from: '1.5.0', reason: 'no longer required'},
    ])
    expect(doc.removed.sort()).toEqual(['app', 'lib'])
  })
})
