import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {type FaultProxyHandle, startFaultProxy} from '../fixtures/fault-proxy.js'
import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, type ErrorDoc, installedDirs, publish, readLock, type ResolveDoc, writeExtension} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface CheckDoc {
  outdated: number
  republished: number
  extensions: Array<{name: string; locked?: string; republished?: {locked: string; current: string}}>
}

interface Republished {
  name: string
  version: string
  reference: string
  locked: string
  current: string
}

/**
 * Issue 14 item 3 against a real registry (behind a request-logging proxy): a locked version
 * republished with other content stops dep update and a re-resolve (exit 8), dep check-updates
 * reports it, and `dep update NAME --accept-republished` is the one way to take it.
 */
describe('dep: a republished locked version', () => {
  let registry: RegistryHandle
  let proxy: FaultProxyHandle
  let box: Sandbox
  let ws: string
  let original: string
  let republished: string
  const cli = (args: string[]) => runCli(args, {env: box.env, cwd: ws})
  const lockedDigest = async (name: string) => {
    const lock = YAML.parse((await readLock(ws)) as string) as {extensions: Array<{name: string; digest: string}>}
    return lock.extensions.find((e) => e.name === name)?.digest
  }
  const installedVersionFile = async () => readFile(path.join((await installedDirs(ws))['taskservs/redis'], 'VERSION'), 'utf8')
  /** redis ~7.2 and etcd at the given range, through the logging proxy. */
  const declareRanges = (etcd: string) =>
    declare(
      ws,
      {registry: proxy.host},
      {
        taskservs: [
          {name: 'redis', version: '~7.2'},
          {name: 'etcd', version: etcd},
        ],
      },
    )
  const redisRepublished = (): Republished => ({
    name: 'redis',
    version: '7.2.5',
    reference: `${proxy.host}/provisioning-extensions/redis:7.2.5`,
    locked: original,
    current: republished,
  })
  const headOfLockedTag = () => proxy.requests.some((r) => r.method === 'HEAD' && r.path.endsWith('/redis/manifests/7.2.5'))

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    proxy = await startFaultProxy({target: registry.url})
    const src = path.join(box.root, 'src')
    await writeExtension(path.join(src, 'redis-a'), {name: 'redis', version: '7.2.5'}, {VERSION: 'original\n'})
    await writeExtension(path.join(src, 'etcd'), {name: 'etcd', version: '3.5.0'}, {VERSION: 'etcd\n'})
    await writeExtension(path.join(src, 'redis-b'), {name: 'redis', version: '7.2.5'}, {VERSION: 'republished\n'})
    await publish(registry.host, box.env, [path.join(src, 'redis-a'), path.join(src, 'etcd')])

    ws = await bareWorkspace(box.root, 'ws')
    await declareRanges('*')
    const first = await depResolve(ws, box.env, ['--json'])
    expect(first.exitCode, first.stderr).toBe(0)
    original = (await lockedDigest('redis')) as string

    const forced = await runCli(['oci', 'push', path.join(src, 'redis-b'), '--force', '--json'], {env: {...box.env, PROVISIONING_OCI__REGISTRY: registry.host}})
    expect(forced.exitCode, forced.stderr).toBe(0)
    republished = json<{digest: string}>(forced).digest
    expect(republished).not.toBe(original)
  })
  afterAll(async () => {
    await proxy?.stop()
    await registry?.stop()
    await box?.cleanup()
  })

  it('following the unchanged lock with everything installed still asks the registry nothing (pinned by digest)', async () => {
    proxy.clear()
    const followed = await depResolve(ws, box.env, ['--json'])
    expect(followed.exitCode, followed.stderr).toBe(0)
    expect(json<ResolveDoc>(followed)).toMatchObject({followedLock: true, installed: [], lockWritten: false})
    expect(proxy.requests).toEqual([])
    expect(await lockedDigest('redis')).toBe(original)
  })

  it('dep update stops with exit 8 naming the extension and both digests; nothing installed, the lock unchanged', async () => {
    const lock = await readLock(ws)
    proxy.clear()
    const result = await cli(['dep', 'update', '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(8)
    const {error} = json<ErrorDoc>(result)
    expect(error.code).toBe('E_INTEGRITY')
    expect(error.message).toBe(`redis@7.2.5 was republished: locked ${original}, registry now ${republished}`)
    expect(error.hint).toContain('"provisioning dep update redis --accept-republished"')
    expect(error.details.republished).toEqual([redisRepublished()])
    // The tag index had seen the original: the locked tag was resolved afresh.
    expect(headOfLockedTag()).toBe(true)
    expect(await readLock(ws)).toBe(lock)
    expect(await installedVersionFile()).toBe('original\n')

    const text = await cli(['dep', 'update'])
    expect(text.exitCode).toBe(8)
    expect(text.stderr).toContain(`redis@7.2.5 was republished: locked ${original}, registry now ${republished}`)
  })

  it('a re-resolve after a declaration change (so the registry is consulted) stops with exit 8 too', async () => {
    const lock = await readLock(ws)
    await declareRanges('>=3')
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(8)
    expect(json<ErrorDoc>(result).error.message).toContain(`redis@7.2.5 was republished: locked ${original}, registry now ${republished}`)
    expect(await readLock(ws)).toBe(lock)
    expect(await installedVersionFile()).toBe('original\n')
  })

  it('dep check-updates reports it: exit 8 (over 1), "republished" per row in --json, marked in text', async () => {
    const result = await cli(['dep', 'check-updates', '--json'])
    expect(result.exitCode, result.stderr).toBe(8)
    const doc = json<CheckDoc>(result)
    expect(doc.republished).toBe(1)
    expect(doc.extensions.find((e) => e.name === 'redis')?.republished).toEqual({locked: original, current: republished})
    expect(doc.extensions.find((e) => e.name === 'etcd')?.republished).toBeUndefined()

    const text = await cli(['dep', 'check-updates'])
    expect(text.exitCode).toBe(8)
    expect(text.stdout).toMatch(/^redis\s+7\.2\.5\s+7\.2\.5\s+7\.2\.5\s+REPUBLISHED/m)
    expect(text.stdout).toContain('1 republished (exit 8)')
  })

  it('accepting is per name: without NAME it is a usage error, another name leaves redis protected', async () => {
    const bare = await cli(['dep', 'update', '--accept-republished', '--json'])
    expect(bare.exitCode).toBe(2)
    expect(json<ErrorDoc>(bare).error.message).toContain('--accept-republished needs the names')
    const other = await cli(['dep', 'update', 'etcd', '--accept-republished', '--json'])
    expect(other.exitCode).toBe(8)
    expect(await lockedDigest('redis')).toBe(original)
  })

  it('dep update redis --accept-republished re-locks it at the new digest, installs it and audits it; the lock is followed after', async () => {
    const result = await cli(['dep', 'update', 'redis', '--accept-republished', '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    const accepted = redisRepublished()
    expect(json<{acceptedRepublished: Republished[]}>(result).acceptedRepublished).toEqual([accepted])
    expect(await lockedDigest('redis')).toBe(republished)
    expect(await installedVersionFile()).toBe('republished\n')
    const audit = (await readFile(path.join(box.home, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(audit.at(-1)).toMatchObject({command: 'dep update', target: 'redis', result: 'ok', details: {acceptedRepublished: [accepted]}})

    const after = await depResolve(ws, box.env, ['--json'])
    expect(after.exitCode, after.stderr).toBe(0)
    expect(json<ResolveDoc>(after)).toMatchObject({followedLock: true, installed: []})
    expect((await cli(['dep', 'check-updates', '--json'])).exitCode).toBe(0)
  })
})
