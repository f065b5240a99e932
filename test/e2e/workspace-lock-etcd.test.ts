import net from 'node:net'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {type EtcdServer, startEtcd} from '../helpers/etcd.js'
import {freePort} from '../helpers/processes.js'
import {initWorkspace, type Sandbox, sandbox} from '../helpers/workspace.js'

/** Workspace locks in a real etcd (Debian etcd-server on loopback), through the built CLI. */

interface Holder {
  owner: string
  host: string
  pid: number
  since: string
  reason?: string
  provider: string
  expires_at?: string
}
interface ErrorDoc {
  error: {
    code: string
    exit: number
    message: string
    hint?: string
    details: {holder?: Holder; requirements?: Array<{id: string; met: boolean; actual: string; fix: string}>}
  }
}
interface Info {
  lock: {locked: boolean; provider: string; location: string; holder?: Holder; problem?: string}
}

describe('workspace lock / unlock (etcd provider)', () => {
  let box: Sandbox
  let etcd: EtcdServer
  const as = (owner: string, extra: Record<string, string> = {}) => ({
    env: {
      ...box.env,
      PROVISIONING_LOCKING__OWNER: owner,
      PROVISIONING_LOCKING__PROVIDER: 'etcd',
      PROVISIONING_LOCKING__ETCD__ENDPOINTS: `["${etcd.endpoint}"]`,
      // 20 CLIs starting at once on a shared 2-core machine: a slow call is not an unreachable etcd.
      PROVISIONING_LOCKING__ETCD__TIMEOUT_SECONDS: '30',
      ...extra,
    },
  })
  const cli = (owner: string, args: string[], extra: Record<string, string> = {}) => runCli(args, as(owner, extra))

  beforeAll(async () => {
    box = await sandbox()
    await initWorkspace(box, 'shared')
    etcd = await startEtcd()
  })
  beforeEach(async () => {
    // Every test starts unlocked, in both places.
    for (const provider of ['etcd', 'file']) await cli('admin', ['workspace', 'unlock', 'shared', '--force', '--provider', provider])
  })
  afterAll(async () => {
    await etcd?.stop()
    await box?.cleanup()
  })

  // Twenty CLI processes start at once: on two loaded cores that alone can take a minute.
  it('20 concurrent lockers: exactly one wins (compare-and-create), the other 19 exit 9 naming it; info shows it', async () => {
    const owners = Array.from({length: 20}, (_, i) => `dev-${i}`)
    const results = await Promise.all(owners.map((owner) => cli(owner, ['workspace', 'lock', 'shared', '--reason', `deploy ${owner}`, '--json'])))
    const winners = results.flatMap((r, i) => (r.exitCode === 0 ? [owners[i]] : []))
    expect(winners, results.map((r) => r.stderr || r.stdout).join('\n')).toHaveLength(1)
    const [winner] = winners
    const losers = results.filter((r) => r.exitCode !== 0)
    expect(losers.map((r) => r.exitCode)).toEqual(Array(19).fill(9))
    for (const loser of losers) {
      const {error} = json<ErrorDoc>(loser)
      expect(error.message).toContain(`locked by ${winner}`)
      expect(error.details.holder).toMatchObject({owner: winner, provider: 'etcd', reason: `deploy ${winner}`})
    }
    const info = json<Info>(await cli('anyone', ['workspace', 'info', 'shared', '--json']))
    expect(info.lock).toMatchObject({locked: true, provider: 'etcd', holder: {owner: winner}})
    expect(info.lock.location).toContain('/provisioning/locks/shared')

    // Enforcement reads etcd: someone else is refused, the holder is not.
    const blocked = await cli('intruder', ['dep', 'resolve', '-w', 'shared', '--json'])
    expect(blocked.exitCode).toBe(9)
    expect(json<ErrorDoc>(blocked).error.message).toContain(`locked by ${winner}`)
    expect((await cli(winner, ['dep', 'resolve', '-w', 'shared'])).exitCode).toBe(0)

    const refused = await cli('intruder', ['workspace', 'unlock', 'shared'])
    expect(refused.exitCode).toBe(9)
    expect(refused.stderr).toContain(`locked by ${winner}`)
    expect(refused.stderr).toContain('--force')
    expect((await cli(winner, ['workspace', 'unlock', 'shared'])).exitCode).toBe(0)
    expect(json<Info>(await cli('anyone', ['workspace', 'info', 'shared', '--json'])).lock.locked).toBe(false)

    expect((await cli('alice', ['workspace', 'lock', 'shared'])).exitCode).toBe(0)
    const forced = json<{unlocked: boolean; forced: boolean; holder: Holder}>(await cli('bob', ['workspace', 'unlock', 'shared', '--force', '--json']))
    expect(forced).toMatchObject({unlocked: true, forced: true, holder: {owner: 'alice'}})
    expect(json<Info>(await cli('anyone', ['workspace', 'info', 'shared', '--json'])).lock.locked).toBe(false)
  }, 240_000)

  it('--ttl attaches a lease: the key disappears from etcd once it expires, with nobody unlocking', async () => {
    const locked = await cli('alice', ['workspace', 'lock', 'shared', '--ttl', '3', '--json'])
    expect(locked.exitCode, locked.stderr).toBe(0)
    expect(json<{lock: Holder}>(locked).lock.expires_at).toBeDefined()
    // Read etcd directly (its JSON gateway): the key carries a lease, and the key itself goes
    // when the lease runs out (not merely ignored as expired by the CLI).
    const post = async <T>(api: string, body: unknown) =>
      (await (await fetch(`${etcd.endpoint}/v3/${api}`, {method: 'POST', body: JSON.stringify(body)})).json()) as T
    const key = Buffer.from('/provisioning/locks/shared').toString('base64')
    const kvs = async () => (await post<{kvs?: Array<{lease?: string}>}>('kv/range', {key})).kvs ?? []
    const [kv] = await kvs()
    expect(kv?.lease).toMatch(/^[1-9]\d*$/)
    const lease = await post<{grantedTTL?: string}>('lease/timetolive', {ID: kv.lease})
    expect(lease.grantedTTL).toBe('3')
    const deadline = Date.now() + 15_000
    while ((await kvs()).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250))
    expect(await kvs()).toEqual([])
    expect((await cli('bob', ['workspace', 'lock', 'shared'])).exitCode).toBe(0)
    expect((await cli('bob', ['workspace', 'unlock', 'shared'])).exitCode).toBe(0)
  }, 180_000)

  it('a file lock is still honoured when the provider is etcd', async () => {
    expect((await cli('alice', ['workspace', 'lock', 'shared', '--provider', 'file'])).exitCode).toBe(0)
    const blocked = await cli('bob', ['module', 'load', 'taskserv', 'redis', '-w', 'shared'])
    expect(blocked.exitCode).toBe(9)
    expect(blocked.stderr).toContain('locked by alice')
    expect((await cli('alice', ['workspace', 'unlock', 'shared'])).exitCode).toBe(0)
  })

  it('mode validate enterprise: a running etcd meets the reachability requirement', async () => {
    const result = await cli('alice', ['mode', 'validate', 'enterprise', '--json'])
    // Other enterprise requirements (registry, mTLS) are unmet in this sandbox.
    expect(result.exitCode).toBe(10)
    const requirements = json<ErrorDoc>(result).error.details.requirements ?? []
    expect(requirements.find((r) => r.id === 'locking.provider')?.met).toBe(true)
    expect(requirements.find((r) => r.id === 'locking.etcd')?.met).toBe(true)
    expect(requirements.find((r) => r.id === 'locking.etcd.reachable')).toMatchObject({met: true, actual: expect.stringContaining('reachable (etcd 3.')})
  })

  it('unreachable etcd: lock, unlock and enforcement exit 6 within seconds naming the endpoint; mode validate exits 10 listing it', async () => {
    const down = `http://127.0.0.1:${await freePort()}`
    const env = {PROVISIONING_LOCKING__ETCD__ENDPOINTS: `["${down}"]`}
    for (const args of [
      ['workspace', 'lock', 'shared'],
      ['workspace', 'unlock', 'shared'],
      ['dep', 'resolve', '-w', 'shared'],
    ]) {
      const started = Date.now()
      const result = await cli('alice', [...args, '--json'], env)
      expect(result.exitCode, args.join(' ')).toBe(6)
      expect(Date.now() - started).toBeLessThan(10_000)
      const {error} = json<ErrorDoc>(result)
      expect(error.code).toBe('E_REGISTRY')
      expect(error.message).toContain(`etcd unreachable at ${down}`)
      expect(error.hint).toContain('locking.etcd.endpoints')
      if (args[1] === 'unlock') expect(error.hint).toContain('unlock shared --provider file')
    }
    // info still answers, and says why the lock is unknown.
    const info = json<Info>(await cli('alice', ['workspace', 'info', 'shared', '--json'], env))
    expect(info.lock.problem).toContain(down)

    const validate = await cli('alice', ['mode', 'validate', 'enterprise', '--json'], env)
    expect(validate.exitCode).toBe(10)
    const reach = json<ErrorDoc>(validate).error.details.requirements?.find((r) => r.id === 'locking.etcd.reachable')
    expect(reach).toMatchObject({met: false, actual: expect.stringContaining(down), fix: expect.stringContaining(down)})
    const human = await cli('alice', ['mode', 'validate', 'enterprise'], env)
    expect(human.stderr).toContain('a reachable etcd for workspace locks')

    const unset = await cli('alice', ['mode', 'validate', 'enterprise', '--json'], {PROVISIONING_LOCKING__ETCD__ENDPOINTS: '[]'})
    const ids = json<ErrorDoc>(unset)
      .error.details.requirements?.filter((r) => !r.met)
      .map((r) => r.id)
    expect(ids).toContain('locking.etcd')
    expect(ids).not.toContain('locking.etcd.reachable')
  })

  it('an endpoint that accepts connections but never answers: exit 6 after locking.etcd.timeout_seconds, not a hang', async () => {
    const sockets: net.Socket[] = []
    const silent = net.createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`
    try {
      const started = Date.now()
      const result = await cli('alice', ['workspace', 'lock', 'shared', '--json'], {
        PROVISIONING_LOCKING__ETCD__ENDPOINTS: `["${endpoint}"]`,
        PROVISIONING_LOCKING__ETCD__TIMEOUT_SECONDS: '1',
      })
      expect(result.exitCode).toBe(6)
      expect(json<ErrorDoc>(result).error.message).toContain(`etcd unreachable at ${endpoint}`)
      // Generous for a loaded CI machine; without the deadline gRPC waits indefinitely.
      expect(Date.now() - started).toBeLessThan(15_000)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  it('an etcd stopped mid-way: the next lock exits 6 quickly', async () => {
    const own = await startEtcd()
    const env = {PROVISIONING_LOCKING__ETCD__ENDPOINTS: `["${own.endpoint}"]`}
    expect((await cli('alice', ['workspace', 'lock', 'shared'], env)).exitCode).toBe(0)
    await own.stop()
    const started = Date.now()
    const result = await cli('bob', ['workspace', 'lock', 'shared'], env)
    expect(result.exitCode).toBe(6)
    expect(result.stderr).toContain(own.endpoint)
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
