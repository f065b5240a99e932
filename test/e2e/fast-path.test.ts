import {readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, exampleDirs, type Modules, publish, writeExtension} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * bin/run.js answers `--version`, `config get`, `dep resolve` and `oci push` without oclif. Each case runs
 * twice, through the fast path and through oclif (PROVISIONING_NO_FAST_PATH=1), and the two
 * must print the same bytes, exit the same and write the same audit line; a preloaded probe
 * records whether @oclif/core was loaded, so the fast path is known to have been taken.
 */
const MODULES: Modules = {taskservs: ['containerd:1.6.9', {name: 'redis', version: '^7'}], clusters: [{name: 'k8s-basic', version: '^1.0'}]}

describe('fast paths print what the oclif commands print', () => {
  let registry: RegistryHandle
  let box: Sandbox
  let ws: string
  let probe: string
  let loadedLog: string

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    await publish(registry.host, box.env, await exampleDirs())
    ws = await bareWorkspace(box.root, 'fast')
    await declare(ws, {registry: registry.host}, MODULES)
    // CommonJS preload: @oclif/core is CommonJS, so require.cache shows whether it was loaded.
    probe = path.join(box.root, 'probe.cjs')
    loadedLog = path.join(box.root, 'oclif-loaded.log')
    await writeFile(
      probe,
      `process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(loadedLog)}, String(Object.keys(require.cache).some((k) => k.includes('@oclif')))))\n`,
    )
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  async function auditLines(): Promise<Array<Record<string, unknown>>> {
    const text = await readFile(path.join(box.home, 'audit.log'), 'utf8').catch(() => '')
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  }

  /** Runs args both ways; returns the fast run after checking the oclif run matches it. */
  async function bothWays(args: string[], options: {cwd?: string; env?: Record<string, string>; fast?: boolean} = {}): Promise<CliResult> {
    // NODE_ENV as users have it (vitest sets "test", under which oclif warns about commands that failed before parsing).
    const run = async (extra: Record<string, string>) => {
      await rm(loadedLog, {force: true})
      const before = (await auditLines()).length
      const result = await runCli(args, {
        cwd: options.cwd ?? box.root,
        env: {...box.env, NODE_OPTIONS: `--require=${probe}`, NODE_ENV: 'production', ...options.env, ...extra},
      })
      const audit = (await auditLines()).slice(before).map(({time: _t, pid: _p, ...rest}) => rest)
      return {result, audit, oclifLoaded: await readFile(loadedLog, 'utf8')}
    }
    const fast = await run({})
    const slow = await run({PROVISIONING_NO_FAST_PATH: '1'})
    expect(slow.oclifLoaded).toBe('true')
    expect(fast.oclifLoaded, `fast path taken for ${args.join(' ')}`).toBe(options.fast === false ? 'true' : 'false')
    expect(fast.result, args.join(' ')).toEqual(slow.result)
    expect(fast.audit).toEqual(slow.audit)
    return fast.result
  }

  it('--version', async () => {
    const result = await bothWays(['--version'])
    expect(result.stdout).toMatch(/^provisioning\/\d+\.\d+\.\d+ linux-x64 node-v\d+/)
  })

  it('config get: values, tables, JSON, unknown keys (exit 4), inside a workspace, with config from the environment', async () => {
    expect((await bothWays(['config', 'get', 'oci.registry'])).stdout).not.toBe('')
    await bothWays(['config', 'get', 'oci.registry', '--json'])
    await bothWays(['config', 'get', 'oci'])
    await bothWays(['config', 'get', 'oci', '--json'])
    expect((await bothWays(['config', 'get', 'no.such.key'])).exitCode).toBe(4)
    expect((await bothWays(['config', 'get', 'no.such.key', '--json'])).exitCode).toBe(4)
    expect((await bothWays(['config', 'get', 'workspace.name'], {cwd: ws})).stdout).toBe('fast')
    expect((await bothWays(['config', 'get', 'oci.registry'], {env: {PROVISIONING_OCI__REGISTRY: 'from-env:5000'}})).stdout).toBe('from-env:5000')
  })

  it('config get: a malformed workspace config fails the same way (exit 3)', async () => {
    const broken = await bareWorkspace(box.root, 'broken')
    await writeFile(path.join(broken, 'config', 'provisioning.yaml'), 'workspace: {name: broken\n  oci: [')
    expect((await bothWays(['config', 'get', 'workspace.name'], {cwd: broken})).exitCode).toBe(3)
    expect((await bothWays(['config', 'get', 'workspace.name', '--json'], {cwd: broken})).exitCode).toBe(3)
  })

  it('dep resolve: first resolve, then following the lock (human, --json, --frozen, -q), with the same audit lines', async () => {
    // The first run resolves against the registry; the second (oclif) then follows the lock it wrote.
    const first = await runCli(['dep', 'resolve', '--json'], {cwd: ws, env: box.env})
    expect(first.exitCode, first.stderr).toBe(0)
    for (const args of [[], ['--json'], ['--frozen'], ['--frozen', '--json'], ['-q'], ['--offline', '--json']]) {
      const result = await bothWays(['dep', 'resolve', ...args], {cwd: ws})
      expect(result.exitCode, result.stderr).toBe(0)
    }
  })

  it('a locked dep resolve loads no HTTP client (node:http, undici): it makes no request', async () => {
    // Imported as an ES module, node:http loads undici on Node 24 (~60 ms a start): util/node-http.ts requires it on first use.
    const loadList = path.join(box.root, 'load-list.log')
    const listProbe = path.join(box.root, 'load-list.cjs')
    await writeFile(listProbe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loadList)}, process.moduleLoadList.join('\\n')))\n`)
    expect((await runCli(['dep', 'resolve', '--json'], {cwd: ws, env: box.env})).exitCode).toBe(0)
    const locked = await runCli(['dep', 'resolve', '--frozen', '--json'], {cwd: ws, env: {...box.env, NODE_OPTIONS: `--require=${listProbe}`}})
    expect(locked.exitCode, locked.stderr).toBe(0)
    expect(json<{followedLock: boolean}>(locked).followedLock).toBe(true)
    const loaded = (await readFile(loadList, 'utf8')).split('\n')
    expect(loaded).toContain('NativeModule fs')
    expect(loaded.filter((name) => /^NativeModule (https?|_http_client|internal\/deps\/undici\/undici)$/.test(name))).toEqual([])
  })

  it('dep resolve: a stale lock under --frozen fails the same way (exit 10), and so does no workspace (exit 4)', async () => {
    await declare(ws, {registry: registry.host}, {...MODULES, providers: ['aws:2.1.0']})
    expect((await bothWays(['dep', 'resolve', '--frozen', '--json'], {cwd: ws})).exitCode).toBe(10)
    expect((await bothWays(['dep', 'resolve', '--frozen'], {cwd: ws})).exitCode).toBe(10)
    expect((await bothWays(['dep', 'resolve', '--json'])).exitCode).toBe(4)
  })

  it('oci push: dry runs, re-pushes (one folder, a batch), warnings, -q, refused versions and usage errors, with the same audit lines', async () => {
    // Pushed content is there after the first run of each pair, so what both ways print alike
    // is a dry run and a push of what the registry holds (0 uploaded).
    const env = {PROVISIONING_OCI__REGISTRY: registry.host}
    const [first, second, third, fourth] = await exampleDirs()
    const odd = path.join(box.root, 'push-odd')
    // A top-level folder packaging warns about, on stderr both ways.
    await writeExtension(odd, {name: 'oddly', version: '1.0.0'}, {'stray/file.txt': 'x'})
    expect((await bothWays(['oci', 'push', odd, '--dry-run'], {env})).exitCode).toBe(0)
    expect((await runCli(['oci', 'push', odd], {env: {...box.env, ...env}})).exitCode).toBe(0)
    for (const args of [
      [odd, '--dry-run'],
      [odd, '--dry-run', '--json'],
      [first, '--json'],
      [first],
      [first, second, third, fourth, '-q'],
      [odd, '--json'],
      [odd],
    ]) {
      const result = await bothWays(['oci', 'push', ...args], {env})
      expect(result.exitCode, result.stderr).toBe(0)
    }
    // Other content under a version the registry holds: refused before anything is sent (exit 10).
    await writeExtension(odd, {name: 'oddly', version: '1.0.0', description: 'changed'}, {'stray/file.txt': 'y'})
    expect((await bothWays(['oci', 'push', odd, '--json'], {env})).exitCode).toBe(10)
    expect((await bothWays(['oci', 'push', odd], {env})).exitCode).toBe(10)
    // A folder without a manifest among several, and a missing folder.
    expect((await bothWays(['oci', 'push', first, box.root, second, third, '--json'], {env})).exitCode).toBe(2)
    expect((await bothWays(['oci', 'push', path.join(box.root, 'nowhere')], {env})).exitCode).not.toBe(0)
    // Signing, targets and other flags go to oclif.
    await bothWays(['oci', 'push', first, '--registry', registry.host, '--json'], {env, fast: false})
    await bothWays(['oci', 'push', first, '--concurrency', '2', '--json'], {env, fast: false})
  })

  it('anything else goes to oclif: other flags, repeated flags, usage errors', async () => {
    await bothWays(['--version', '--json'], {fast: false})
    await bothWays(['config', 'get', 'oci.registry', '--verbose'], {fast: false})
    await bothWays(['config', 'get', 'oci.registry', '--json', '--json'], {fast: false})
    expect((await bothWays(['config', 'get'], {fast: false})).exitCode).toBe(2)
    expect((await bothWays(['config', 'get', '--nope'], {fast: false})).exitCode).toBe(2)
    await bothWays(['dep', 'resolve', '--dry-run', '--json'], {cwd: ws, fast: false})
  })
})
