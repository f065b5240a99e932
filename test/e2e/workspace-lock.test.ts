import {spawnSync} from 'node:child_process'
import {mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {initWorkspace, type Sandbox, sandbox} from '../helpers/workspace.js'

/** Workspace locks with the file provider, through the built CLI (SPEC §6, issue 5 item 4). */

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
  error: {code: string; exit: number; message: string; hint?: string; details: {holder?: Holder}}
}

const LOCK = (ws: string) => path.join(ws, 'config', 'workspace.lock')

/** A PID that no process has: a child that already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid as number
}

describe('workspace lock / unlock (file provider)', () => {
  let box: Sandbox
  let ws: string
  const as = (owner: string, extra: Record<string, string> = {}) => ({env: {...box.env, PROVISIONING_LOCKING__OWNER: owner, ...extra}})
  const cli = (owner: string, args: string[], extra: Record<string, string> = {}) => runCli(args, as(owner, extra))

  beforeAll(async () => {
    box = await sandbox()
    ws = await initWorkspace(box, 'team')
  })
  afterAll(() => box.cleanup())
  beforeEach(async () => {
    // Every test starts unlocked.
    await cli('admin', ['workspace', 'unlock', 'team', '--force'])
  })

  // Twenty CLI processes start at once: on two loaded cores that alone can take a minute.
  it('20 concurrent lockers: exactly one wins, the other 19 exit 9 naming the winner', async () => {
    const owners = Array.from({length: 20}, (_, i) => `owner-${i}`)
    const results = await Promise.all(
      owners.map((owner) => runCli(['workspace', 'lock', 'team', '--reason', `by ${owner}`, '--json'], {...as(owner), timeoutMs: 200_000})),
    )
    const winners = results.flatMap((r, i) => (r.exitCode === 0 ? [owners[i]] : []))
    expect(winners).toHaveLength(1)
    const [winner] = winners
    const losers = results.filter((r) => r.exitCode !== 0)
    expect(losers.map((r) => r.exitCode)).toEqual(Array(19).fill(9))
    for (const loser of losers) {
      const {error} = json<ErrorDoc>(loser)
      expect(error.code).toBe('E_BUSY')
      expect(error.message).toContain(`locked by ${winner}`)
      expect(error.details.holder).toMatchObject({owner: winner, host: os.hostname(), reason: `by ${winner}`, provider: 'file'})
    }
    const stored = JSON.parse(await readFile(LOCK(ws), 'utf8')) as Holder
    expect(stored).toMatchObject({owner: winner, provider: 'file'})
    expect(typeof stored.pid).toBe('number')
    expect(Number.isNaN(Date.parse(stored.since))).toBe(false)
    // No draft of any locker is left behind.
    expect((await readdir(path.join(ws, 'config'))).filter((f) => f.includes('.draft'))).toEqual([])

    const info = json<{lock: {locked: boolean; provider: string; holder: Holder}}>(await cli('someone', ['workspace', 'info', 'team', '--json']))
    expect(info.lock).toMatchObject({locked: true, provider: 'file', holder: {owner: winner}})
    const human = await cli('someone', ['workspace', 'info', 'team'])
    expect(human.stdout).toMatch(new RegExp(`lock:\\s+locked by ${winner} \\(host .*reason "by ${winner}"\\) \\[file\\]`))
  }, 240_000)

  it('unlock: refused for a non-owner (exit 9, suggests --force); --force and the owner succeed', async () => {
    expect((await cli('alice', ['workspace', 'lock', 'team', '--reason', 'release'])).exitCode).toBe(0)
    // Not re-entrant: a second lock by the same owner (two jobs of one CI user) is refused too.
    const again = await cli('alice', ['workspace', 'lock', 'team', '--json'])
    expect(again.exitCode).toBe(9)
    expect(json<ErrorDoc>(again).error.message).toContain('locked by alice')
    expect(json<ErrorDoc>(again).error.hint).toContain('your own lock')

    const refused = await cli('bob', ['workspace', 'unlock', 'team'])
    expect(refused.exitCode).toBe(9)
    expect(refused.stderr).toContain('locked by alice')
    expect(refused.stderr).toContain('--force')
    await expect(stat(LOCK(ws))).resolves.toBeTruthy()

    const forced = json<{unlocked: boolean; forced: boolean; holder: Holder}>(await cli('bob', ['workspace', 'unlock', 'team', '--force', '--json']))
    expect(forced).toMatchObject({unlocked: true, forced: true, holder: {owner: 'alice'}})
    await expect(stat(LOCK(ws))).rejects.toThrow()

    expect((await cli('alice', ['workspace', 'lock', ws])).exitCode).toBe(0)
    const own = await cli('alice', ['workspace', 'unlock', 'team'])
    expect(own.exitCode).toBe(0)
    expect(own.stdout).toContain('removed the lock of alice')

    // Unlocking an unlocked workspace succeeds and says so.
    const none = await cli('alice', ['workspace', 'unlock', 'team'])
    expect(none.exitCode).toBe(0)
    expect(none.stdout).toContain('was not locked')
  }, 180_000)

  it('enforcement: dep resolve, dep update, module load/unload by someone else exit 9 naming the holder; the owner runs them', async () => {
    expect((await cli('alice', ['workspace', 'lock', 'team', '--reason', 'maintenance'])).exitCode).toBe(0)
    const config = await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')
    for (const args of [
      ['dep', 'resolve'],
      ['dep', 'update'],
      ['module', 'load', 'taskserv', 'redis'],
      ['module', 'unload', 'taskserv', 'redis'],
    ]) {
      const blocked = await cli('bob', [...args, '-w', 'team', '--json'])
      expect(blocked.exitCode, args.join(' ')).toBe(9)
      const {error} = json<ErrorDoc>(blocked)
      expect(error.message).toContain('locked by alice')
      expect(error.message).toContain('reason "maintenance"')
      expect(error.details.holder?.owner).toBe('alice')
    }
    // module load was refused before the declaration was edited.
    expect(await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')).toBe(config)
    // Read-only commands still work, as does dep resolve --dry-run.
    expect((await cli('bob', ['dep', 'resolve', '--dry-run', '-w', 'team'])).exitCode).toBe(0)
    expect((await cli('bob', ['workspace', 'info', 'team'])).exitCode).toBe(0)

    const owner = await cli('alice', ['dep', 'resolve', '-w', 'team'])
    expect(owner.exitCode, owner.stderr).toBe(0)
  })

  it('an expired lock is taken over atomically by one of many, and cleanup removes an expired one', async () => {
    expect((await cli('alice', ['workspace', 'lock', 'team', '--ttl', '1'])).exitCode).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 1300))
    const info = json<{lock: {locked: boolean; expired: boolean}}>(await cli('bob', ['workspace', 'info', 'team', '--json']))
    expect(info.lock).toMatchObject({locked: false, expired: true})
    // Enforcement ignores an expired lock.
    expect((await cli('bob', ['dep', 'resolve', '-w', 'team'])).exitCode).toBe(0)

    const owners = Array.from({length: 8}, (_, i) => `taker-${i}`)
    // A TTL long enough that the winner's lock cannot expire while the others still race.
    const results = await Promise.all(owners.map((owner) => cli(owner, ['workspace', 'lock', 'team', '--ttl', '600', '--json'])))
    const won = results.filter((r) => r.exitCode === 0)
    expect(won).toHaveLength(1)
    const winner = json<{lock: Holder; replaced: Holder}>(won[0])
    expect(winner.replaced.owner).toBe('alice')
    expect(results.filter((r) => r.exitCode === 9).map((r) => json<ErrorDoc>(r).error.details.holder?.owner)).toEqual(Array(7).fill(winner.lock.owner))

    expect((await cli(winner.lock.owner, ['workspace', 'unlock', 'team'])).exitCode).toBe(0)
    expect((await cli('carol', ['workspace', 'lock', 'team', '--ttl', '1'])).exitCode).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 1300))
    const dry = json<{removed: Array<{kind: string; path: string}>}>(await cli('ci', ['workspace', 'cleanup', 'team', '--dry-run', '--json']))
    expect(dry.removed).toEqual([expect.objectContaining({kind: 'expired-lock', path: path.join('config', 'workspace.lock')})])
    await expect(stat(LOCK(ws))).resolves.toBeTruthy()
    const cleaned = await cli('ci', ['workspace', 'cleanup', 'team'])
    expect(cleaned.exitCode).toBe(0)
    expect(cleaned.stdout).toContain('expired workspace lock of carol')
    await expect(stat(LOCK(ws))).rejects.toThrow()
  }, 180_000)

  it('cleanup removes temp and staging leftovers and dead-process locks, and keeps live locks, the lockfile, config and extensions', async () => {
    expect((await cli('alice', ['workspace', 'lock', 'team'])).exitCode).toBe(0)
    const dead = deadPid()
    const write = async (rel: string, text: string) => {
      await mkdir(path.dirname(path.join(ws, rel)), {recursive: true})
      await writeFile(path.join(ws, rel), text)
    }
    await write('config/.dep-resolve.lock', JSON.stringify({pid: dead, host: os.hostname(), user: 'x', since: '2024-01-01T00:00:00Z'}))
    await write(`config/.provisioning.lock.${dead}.deadbeef.tmp`, 'partial lockfile')
    await write(`extensions/..installed.json.${dead}.cafe0001.tmp`, '{"partial"')
    await write('extensions/taskservs/.redis.extract-AbC123/manifest.yaml', 'name: redis\n'.repeat(100))
    await write(`extensions/taskservs/.old.removing-${dead}/file`, 'x')
    await write(`config/workspace.lock.${dead}.0badf00d.draft`, '{}')
    // A process killed while taking over a dead holder's resolve lock (util/file-lock.ts).
    await write('config/.dep-resolve.lock.guard', JSON.stringify({pid: dead, host: os.hostname(), user: 'x', since: '2024-01-01T00:00:00Z'}))
    await write(`config/.dep-resolve.lock.guard.${dead}.0badf00d.draft`, '{}')
    // What must survive.
    await write('config/provisioning.lock', 'lockfile: keep\n')
    await write('config/provisioning.lock.20241121.bak', 'a dated backup: not a temp file\n')
    await write('extensions/taskservs/redis/manifest.yaml', 'name: redis\nversion: 7.2.0\n')
    await write(`config/.provisioning.yaml.${process.pid}.aaaaaaaa.tmp`, 'a live writer (this test process)')
    await write('extensions/taskservs/.kept.old-12345678/manifest.yaml', 'the only copy of kept\n')
    // The per-user OCI cache: a packaging spool of a killed push, a live one, a cache blob.
    const cache = path.join(box.home, 'cache', 'oci')
    await mkdir(path.join(cache, 'tmp'), {recursive: true})
    await writeFile(path.join(cache, 'tmp', `.spool-${dead}-0123456789ab.tmp`), Buffer.alloc(4096))
    await writeFile(path.join(cache, 'tmp', `.spool-${process.pid}-0123456789ab.tmp`), 'live')
    // The parse cache: a write of a killed run.
    const parsed = path.join(box.home, 'cache', 'parsed')
    await mkdir(parsed, {recursive: true})
    const parseTemp = path.join(parsed, `.${'ab'.repeat(32)}.json.${dead}.0badcafe.tmp`)
    await writeFile(parseTemp, '{"key":')

    const dry = json<{removed: Array<{path: string}>; bytes: number}>(await cli('ci', ['workspace', 'cleanup', 'team', '--dry-run', '--json']))
    expect(dry.removed.length).toBe(10)
    await expect(stat(path.join(ws, 'extensions/taskservs/.redis.extract-AbC123'))).resolves.toBeTruthy()

    const result = await cli('ci', ['workspace', 'cleanup', 'team', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const report = json<{removed: Array<{path: string; kind: string; bytes: number}>; skipped: Array<{path: string}>; bytes: number}>(result)
    expect(report.removed.map((r) => r.path).sort()).toEqual(
      [
        'config/.dep-resolve.lock',
        'config/.dep-resolve.lock.guard',
        `config/.dep-resolve.lock.guard.${dead}.0badf00d.draft`,
        `config/.provisioning.lock.${dead}.deadbeef.tmp`,
        `config/workspace.lock.${dead}.0badf00d.draft`,
        `extensions/..installed.json.${dead}.cafe0001.tmp`,
        `extensions/taskservs/.old.removing-${dead}`,
        'extensions/taskservs/.redis.extract-AbC123',
        path.join(cache, 'tmp', `.spool-${dead}-0123456789ab.tmp`),
        parseTemp,
      ].sort(),
    )
    expect(report.bytes).toBe(report.removed.reduce((sum, r) => sum + r.bytes, 0))
    expect(report.bytes).toBeGreaterThan(1200)
    expect(report.skipped.map((s) => s.path).sort()).toEqual(
      [
        `config/.provisioning.yaml.${process.pid}.aaaaaaaa.tmp`,
        'extensions/taskservs/.kept.old-12345678',
        path.join(cache, 'tmp', `.spool-${process.pid}-0123456789ab.tmp`),
      ].sort(),
    )
    for (const kept of [
      'config/workspace.lock',
      'config/provisioning.lock',
      'config/provisioning.lock.20241121.bak',
      'config/provisioning.yaml',
      'extensions/taskservs/redis/manifest.yaml',
      'extensions/taskservs/.kept.old-12345678',
    ]) {
      await expect(stat(path.join(ws, kept)), kept).resolves.toBeTruthy()
    }
    for (const gone of report.removed) await expect(stat(path.resolve(ws, gone.path)), gone.path).rejects.toThrow()

    const human = await cli('ci', ['workspace', 'cleanup', 'team'])
    expect(human.stdout).toContain('removed 0 item(s)')
    expect(human.stdout).toContain('kept extensions/taskservs/.kept.old-12345678')
  })

  it('cleanup keeps what a running dep resolve owns', async () => {
    await writeFile(
      path.join(ws, 'config', '.dep-resolve.lock'),
      JSON.stringify({pid: process.pid, host: os.hostname(), user: 'x', since: new Date().toISOString()}),
    )
    await mkdir(path.join(ws, 'extensions', 'taskservs', '.busy.extract-Zz9'), {recursive: true})
    const report = json<{removed: unknown[]; skipped: Array<{path: string; reason: string}>}>(await cli('ci', ['workspace', 'cleanup', 'team', '--json']))
    expect(report.removed).toEqual([])
    expect(report.skipped[0]).toMatchObject({path: 'config/.dep-resolve.lock', reason: expect.stringContaining('dep resolve is running')})
    await expect(stat(path.join(ws, 'extensions', 'taskservs', '.busy.extract-Zz9'))).resolves.toBeTruthy()
    await writeFile(path.join(ws, 'config', '.dep-resolve.lock'), JSON.stringify({pid: deadPid(), host: os.hostname()}))
    expect((await cli('ci', ['workspace', 'cleanup', 'team'])).exitCode).toBe(0)
    await expect(stat(path.join(ws, 'extensions', 'taskservs', '.busy.extract-Zz9'))).rejects.toThrow()
  })

  it('bad input: a corrupt lock file is a clear error (exit 3), never a crash; unlock --force removes it', async () => {
    await writeFile(LOCK(ws), '\u0000garbage{{{')
    const expectUnreadable = (result: CliResult, what: string) => {
      expect(result.exitCode, what).toBe(3)
      const {error} = json<ErrorDoc>(result)
      expect(error.message).toContain('workspace.lock holds an unreadable workspace lock')
      expect(error.hint).toContain('workspace unlock team --force')
    }
    expectUnreadable(await cli('bob', ['workspace', 'lock', 'team', '--json']), 'lock')
    expectUnreadable(await cli('bob', ['workspace', 'unlock', 'team', '--json']), 'unlock')
    expectUnreadable(await cli('bob', ['dep', 'resolve', '-w', 'team', '--json']), 'dep resolve')
    const info = json<{lock: {problem: string}}>(await cli('bob', ['workspace', 'info', 'team', '--json']))
    expect(info.lock.problem).toContain('unreadable lock')
    const forced = json<{unlocked: boolean; unreadable: boolean}>(await cli('bob', ['workspace', 'unlock', 'team', '--force', '--json']))
    expect(forced).toMatchObject({unlocked: true, unreadable: true})
    expect((await cli('bob', ['workspace', 'lock', 'team'])).exitCode).toBe(0)
  })

  it('bad input: unknown providers, unknown workspaces', async () => {
    const flag = await cli('bob', ['workspace', 'lock', 'team', '--provider', 'zookeeper', '--json'])
    expect(flag.exitCode).toBe(2)
    expect(json<ErrorDoc>(flag).error.code).toBe('E_USAGE')
    const configured = await cli('bob', ['workspace', 'lock', 'team', '--json'], {PROVISIONING_LOCKING__PROVIDER: 'zookeeper'})
    expect(configured.exitCode).toBe(3)
    expect(json<ErrorDoc>(configured).error.message).toContain('locking.provider')
    const gitea = await cli('bob', ['workspace', 'lock', 'team', '--json'], {PROVISIONING_LOCKING__PROVIDER: 'gitea'})
    expect(gitea.exitCode).toBe(3)
    expect(json<ErrorDoc>(gitea).error.hint).toContain('--provider file')
    const etcdWithout = await cli('bob', ['workspace', 'lock', 'team', '--provider', 'etcd', '--json'])
    expect(etcdWithout.exitCode).toBe(3)
    expect(json<ErrorDoc>(etcdWithout).error.message).toContain('locking.etcd.endpoints is empty')
    const ghost = await cli('bob', ['workspace', 'lock', 'ghost', '--json'])
    expect(ghost.exitCode).toBe(4)
    expect((await cli('bob', ['workspace', 'lock', 'team', '--ttl', '-5'])).exitCode).toBe(2)
  })

  it('lock, unlock and cleanup write audit lines', async () => {
    await cli('alice', ['workspace', 'lock', 'team', '--reason', 'audit'])
    await cli('alice', ['workspace', 'unlock', 'team'])
    await cli('alice', ['workspace', 'cleanup', 'team'])
    const lines = (await readFile(path.join(box.home, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as {command: string; target?: string; exit: number})
    const ours = lines.slice(-3)
    expect(ours.map((l) => l.command)).toEqual(['workspace lock', 'workspace unlock', 'workspace cleanup'])
    expect(ours.every((l) => l.exit === 0 && l.target === 'team')).toBe(true)
  })
})
