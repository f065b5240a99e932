import {spawnSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readLockfile} from '../../src/lib/deps/lockfile.js'
import {type FaultProxyHandle, startFaultProxy} from '../fixtures/fault-proxy.js'
import {type CliResult, json} from '../helpers/cli.js'
import {
  bareWorkspace,
  declare,
  depResolve,
  type ErrorDoc,
  exampleDirs,
  filesOf,
  installedDirs,
  leftovers,
  lockPath,
  type Modules,
  prng,
  publish,
  readLock,
  type ResolveDoc,
  type Source,
  spawnCli,
  writeExtension,
} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §9.3 "An interrupted run leaves every extension either fully old or fully new;
 * re-running finishes the job. Two concurrent runs on one workspace serialize on a lock."
 * The built CLI is SIGKILLed at random moments while it swaps big extensions in and out,
 * and the workspace is checked after every kill and after the re-run.
 */
const ITERATIONS = 10
const SEED = Number(process.env.DEP_INTERRUPT_SEED ?? Date.now() % 1_000_000)

/**
 * Two declarations that differ in every way an install can: upgrade, downgrade, add, remove.
 * Every version is pinned (directly or by a single candidate), so the result does not depend
 * on the previous lock (resolution prefers locked versions) and equals a clean run's.
 */
const DECLARATIONS: Record<'A' | 'B', Modules> = {
  A: {providers: ['aws:2.0.0'], taskservs: ['bulk-a:1.0.0', 'bulk-b:1.0.0', 'containerd:1.6.9', 'kubernetes:1.27.4']},
  B: {providers: ['aws:2.1.0'], taskservs: ['bulk-a:2.0.0', 'kubernetes:1.28.0', 'redis'], clusters: ['k8s-basic']},
}
type Decl = keyof typeof DECLARATIONS

interface Clean {
  lock: string
  order: string[]
  /** group/name -> fingerprint of the files that must be installed there */
  installed: Record<string, string>
}

/** One string for a folder's files (paths, modes, content hashes), for cheap comparison. */
async function fingerprint(dir: string): Promise<string> {
  const files = await filesOf(dir)
  const hash = createHash('sha256')
  for (const [rel, entry] of Object.entries(files))
    hash.update(`${rel}\0${entry.type}\0${entry.mode}\0${entry.content ? createHash('sha256').update(entry.content).digest('hex') : entry.target}\n`)
  return hash.digest('hex')
}

describe('dep resolve interrupted and concurrent', () => {
  let registry: RegistryHandle
  let box: Sandbox
  /** name -> fingerprint -> version, for every published version. */
  const known = new Map<string, Map<string, string>>()
  const sources = new Map<string, string[]>()
  const clean: Partial<Record<Decl, Clean>> = {}
  let source: Source

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    source = {registry: registry.host}
    // Big extensions, so that installing (unpack + swap) and removing take a while:
    // 2 names x 2 versions x 100 incompressible 16 KiB files.
    const bulk: string[] = []
    for (const name of ['bulk-a', 'bulk-b']) {
      for (const version of ['1.0.0', '2.0.0']) {
        const dir = path.join(box.root, 'bulk', name, version)
        const files = Object.fromEntries(Array.from({length: 100}, (_, i) => [`data/blob-${i}.bin`, randomBytes(16 * 1024)]))
        await writeExtension(dir, {name, version}, {...files, 'scripts/install.sh': `#!/bin/sh\necho ${name} ${version}\n`})
        bulk.push(dir)
      }
    }
    const dirs = [...(await exampleDirs()), ...bulk]
    await publish(registry.host, box.env, dirs)
    for (const dir of dirs) {
      const name = path.basename(path.dirname(dir))
      if (!known.has(name)) known.set(name, new Map())
      known.get(name)?.set(await fingerprint(dir), path.basename(dir))
      sources.set(name, [...(sources.get(name) ?? []), dir])
    }
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  /** What a clean, uninterrupted run of a declaration gives (its own workspace, same cache). */
  const cleanRun = async (decl: Decl): Promise<Clean> => {
    const cached = clean[decl]
    if (cached) return cached
    const ws = await bareWorkspace(box.root, `clean-${decl}`)
    await declare(ws, source, DECLARATIONS[decl])
    const result = await depResolve(ws, box.env, ['--json'])
    if (result.exitCode !== 0) throw new Error(result.stderr)
    const installed: Record<string, string> = {}
    for (const [key, dir] of Object.entries(await installedDirs(ws))) installed[key] = await fingerprint(dir)
    clean[decl] = {lock: (await readLock(ws)) as string, order: json<ResolveDoc>(result).order.map((e) => `${e.name}@${e.version}`), installed}
    return clean[decl] as Clean
  }

  /** Right after a kill: every extension folder present is exactly one published version; the lock parses or is absent. */
  const expectConsistent = async (ws: string, context: string) => {
    for (const [key, dir] of Object.entries(await installedDirs(ws))) {
      const name = key.split('/')[1]
      const version = known.get(name)?.get(await fingerprint(dir))
      if (!version) throw new Error(`${context}: ${key} is not exactly one published version of ${name}:\n${await diagnose(name, dir)}`)
    }
    await expect(readLockfile(lockPath(ws)), `${context}: lockfile`).resolves.not.toThrow()
    const state = await readFile(path.join(ws, 'extensions', '.installed.json'), 'utf8').catch(() => undefined)
    if (state !== undefined) expect(() => JSON.parse(state), `${context}: .installed.json`).not.toThrow()
  }

  /** How a folder differs from each published version of its name (for failure messages). */
  const diagnose = async (name: string, dir: string): Promise<string> => {
    const files = await filesOf(dir)
    const lines: string[] = []
    for (const source of sources.get(name) ?? []) {
      const src = await filesOf(source)
      const differing = [...new Set([...Object.keys(src), ...Object.keys(files)])].filter(
        (f) => !src[f] || !files[f] || src[f].mode !== files[f].mode || !src[f].content?.equals(files[f].content as Buffer),
      )
      const what = (f: string) =>
        !src[f]
          ? `${f} (extra)`
          : !files[f]
            ? `${f} (missing)`
            : `${f} (mode ${files[f].mode}/${src[f].mode}, ${files[f].content?.length}/${src[f].content?.length} bytes)`
      lines.push(`  vs ${path.basename(source)}: ${differing.length} differ: ${differing.slice(0, 5).map(what).join(', ')}`)
    }
    const state = await readFile(path.join(dir, '..', '..', '.installed.json'), 'utf8').catch(() => '-')
    return `${lines.join('\n')}\n  .installed.json: ${state.replace(/\s+/g, ' ')}`
  }

  /** After a completed run: exactly what a clean run of `decl` gives, and nothing left over. */
  const expectLikeClean = async (ws: string, result: CliResult, decl: Decl, context: string) => {
    expect(result.exitCode, `${context}: ${result.stderr}`).toBe(0)
    const expected = await cleanRun(decl)
    expect(
      json<ResolveDoc>(result).order.map((e) => `${e.name}@${e.version}`),
      context,
    ).toEqual(expected.order)
    expect(await readLock(ws), context).toBe(expected.lock)
    expect(await leftovers(ws), context).toEqual([])
    const installed: Record<string, string> = {}
    for (const [key, dir] of Object.entries(await installedDirs(ws))) {
      installed[key] = await fingerprint(dir)
      if (expected.installed[key] && installed[key] !== expected.installed[key])
        throw new Error(`${context}: ${key} is not what a clean run installs:\n${await diagnose(key.split('/')[1], dir)}`)
    }
    expect(describeInstalled(installed), context).toEqual(describeInstalled(expected.installed))
  }

  /** group/name -> the version its files are, or what they are not. */
  const describeInstalled = (installed: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(installed).map(([key, print]) => [key, known.get(key.split('/')[1])?.get(print) ?? `not a published version (${print.slice(0, 12)})`]),
    )

  // Each iteration is a killed run and a finishing run (~10 s at load 10): 60 s is not enough on a loaded machine.
  it(`kill -9 at random points, ${ITERATIONS} times: always consistent, and the re-run equals a clean run (seed ${SEED})`, async () => {
    const random = prng(SEED)
    await cleanRun('A')
    await cleanRun('B')
    const ws = await bareWorkspace(box.root, 'killed')
    let current: Decl = 'A'
    await declare(ws, source, DECLARATIONS[current])
    await expectLikeClean(ws, await depResolve(ws, box.env, ['--json']), current, 'first run')

    let killed = 0
    let midway = 0
    for (let i = 0; i < ITERATIONS; i++) {
      const target: Decl = current === 'A' ? 'B' : 'A'
      const context = `iteration ${i} (seed ${SEED}, ${current} -> ${target})`
      await declare(ws, source, DECLARATIONS[target])
      // Now and then a cold cache, so that the kill can also land in the middle of downloads.
      if (i % 4 === 3) await rm(path.join(box.home, 'cache'), {recursive: true, force: true})
      const child = spawnCli(['dep', 'resolve', '--verbose'], {env: box.env, cwd: ws})
      // Half the time from start-up (any phase), half the time once installing has begun:
      // then within 60 ms, since the whole install phase of these small extensions takes
      // only ~100 ms and a later kill would find it finished.
      const fromInstall = i % 2 === 1
      const delay = Math.floor(random() * (fromInstall ? 60 : 900))
      let timer: NodeJS.Timeout | undefined
      const arm = () => {
        timer ??= setTimeout(() => child.kill('SIGKILL'), delay)
      }
      if (fromInstall) child.stderr?.on('data', (chunk: Buffer) => /installing|removing/.test(chunk.toString()) && arm())
      else arm()
      const outcome = await child
      clearTimeout(timer)
      if (outcome.signal === 'SIGKILL') killed++
      else expect(outcome.exitCode, `${context}: ${String(outcome.all)}`).toBe(0)

      await expectConsistent(ws, context)
      const state = Object.keys(await installedDirs(ws))
        .sort()
        .join()
      if (
        state !==
          Object.keys(clean[current]?.installed ?? {})
            .sort()
            .join() &&
        state !==
          Object.keys(clean[target]?.installed ?? {})
            .sort()
            .join()
      )
        midway++
      if ((await leftovers(ws)).length > 0) midway++

      // The re-run is the same declaration or, half the time, the previous one again.
      const rerun: Decl = random() < 0.5 ? target : current
      await declare(ws, source, DECLARATIONS[rerun])
      await expectLikeClean(ws, await depResolve(ws, box.env, ['--json']), rerun, `${context}, re-run as ${rerun}`)
      current = rerun
    }
    // The kills did happen (not all runs finished before their timer), some in the middle of the work.
    expect(killed, `seed ${SEED}`).toBeGreaterThanOrEqual(ITERATIONS / 3)
    expect(midway, `seed ${SEED}: no kill left an intermediate state (half-done set or leftovers)`).toBeGreaterThan(0)
  }, 300_000)

  it("a run killed while taking the resolve lock left its draft: the next run removes it, and keeps a waiting run's", async () => {
    // The window (draft written, linked into place, not yet removed) is microseconds wide; a
    // kill there is rare but happens (seen once in the random kills above): made here on purpose.
    const ws = await bareWorkspace(box.root, 'killed-taker')
    await declare(ws, source, DECLARATIONS.A)
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number
    const config = path.join(ws, 'config')
    await mkdir(config, {recursive: true})
    const deadDrafts = [
      `.dep-resolve.lock.${dead}.1a2b3c4d.draft`,
      `.dep-resolve.lock.guard.${dead}.1a2b3c4d.draft`,
      `.dep-resolve.lock.${dead}.1a2b3c4d.stale`,
    ]
    // pid 1 stands for a run waiting for the lock right now.
    const waiting = '.dep-resolve.lock.1.1a2b3c4d.draft'
    for (const name of [...deadDrafts, waiting]) await writeFile(path.join(config, name), '{}')
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    for (const name of deadDrafts) expect(existsSync(path.join(config, name)), name).toBe(false)
    expect(existsSync(path.join(config, waiting))).toBe(true)
  })

  describe('two concurrent runs on one workspace', () => {
    let proxy: FaultProxyHandle
    beforeAll(async () => {
      proxy = await startFaultProxy({target: registry.url})
    })
    afterAll(async () => {
      await proxy?.stop()
    })

    it('started together, they serialize: both exit 0, one resolves and writes, the other follows its lock', async () => {
      const ws = await bareWorkspace(box.root, 'concurrent')
      await declare(ws, source, DECLARATIONS.B)
      const results = await Promise.all([depResolve(ws, box.env, ['--json']), depResolve(ws, box.env, ['--json'])])
      for (const r of results) expect(r.exitCode, r.stderr).toBe(0)
      const docs = results.map((r) => json<ResolveDoc>(r))
      expect(docs.map((d) => d.lockWritten).sort()).toEqual([false, true])
      const second = docs.find((d) => !d.lockWritten) as ResolveDoc
      expect(second).toMatchObject({followedLock: true, installed: []})
      await expectLikeClean(ws, results[0], 'B', 'concurrent')
    })

    it('while one run holds the lock, a second waits and then follows its lock; with deps.lock_timeout_seconds = 0 a third exits 9 naming the holder', async () => {
      const ws = await bareWorkspace(box.root, 'busy')
      await declare(ws, {registry: proxy.host}, DECLARATIONS.A)
      // Keep the first run inside its lock for a few seconds: its tag listing is slow. Long
      // enough that the third run's start-up (seconds on a loaded two-core machine running the
      // whole suite) ends while the first still holds the lock; the waiter may wait longer.
      proxy.plan([{match: {pathRegex: '/tags/list'}, fault: {delayMs: 8000}, times: 1}])
      const first = spawnCli(['dep', 'resolve', '--json'], {env: box.env, cwd: ws})
      try {
        const lockFile = path.join(ws, 'config', '.dep-resolve.lock')
        for (const deadline = Date.now() + 15_000; !existsSync(lockFile) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20))
        expect(existsSync(lockFile), 'the first run took the workspace lock').toBe(true)

        const [waiter, busy] = await Promise.all([
          depResolve(ws, {...box.env, PROVISIONING_DEPS__LOCK_TIMEOUT_SECONDS: '60'}, ['--json']),
          depResolve(ws, {...box.env, PROVISIONING_DEPS__LOCK_TIMEOUT_SECONDS: '0'}, ['--json']),
        ])
        expect(busy.exitCode, busy.stdout).toBe(9)
        const {error} = json<ErrorDoc>(busy)
        expect(error.code).toBe('E_BUSY')
        expect(error.message).toContain(`is locked by pid ${first.pid} (`)
        expect(error.message).toContain(`@${os.hostname()}`)
        expect(error.message).toContain(`dep resolve in ${ws}`)
        expect(error.details).toMatchObject({holder: {pid: first.pid, host: os.hostname()}})
        expect(error.hint).toMatch(/^wait for that process to finish/)

        const done = await first
        expect(done.exitCode, String(done.stderr)).toBe(0)
        const firstDoc = json<ResolveDoc>({stdout: String(done.stdout), stderr: '', exitCode: 0})
        expect(firstDoc).toMatchObject({followedLock: false, lockWritten: true})
        expect(firstDoc.order.map((e) => `${e.name}@${e.version}`)).toEqual((await cleanRun('A')).order)
        // The waiter ran after the holder finished: it found the fresh lock and had nothing to do.
        expect(waiter.exitCode, waiter.stderr).toBe(0)
        expect(json<ResolveDoc>(waiter)).toMatchObject({followedLock: true, lockWritten: false, installed: []})

        expect(existsSync(lockFile)).toBe(false)
        await expect(readLockfile(lockPath(ws))).resolves.toBeDefined()
        expect(await leftovers(ws)).toEqual([])
        const installed: Record<string, string> = {}
        for (const [key, dir] of Object.entries(await installedDirs(ws))) installed[key] = await fingerprint(dir)
        expect(installed).toEqual((await cleanRun('A')).installed)
      } finally {
        first.kill('SIGKILL')
        await first
      }
    })
  })
})
