import {randomBytes} from 'node:crypto'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, readLock, writeExtension} from '../helpers/deps.js'
import {runInPty} from '../helpers/pty.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'
import type {Sandbox} from '../helpers/workspace.js'

/** listr2's task marks; none of them may reach stdout. */
const PROGRESS_MARKS = /[❯›✔⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/

/**
 * Progress and notes go to stderr, always (SPEC §3): with stderr on a terminal and stdout
 * captured (`X=$(provisioning oci push …)`, `oci pull … > f`), stdout holds only the result.
 */
describe('transfer progress goes to stderr (built CLI, real pty)', () => {
  const {registry, box: currentBox, env: currentEnv} = useRegistrySandbox()
  let box: Sandbox
  let env: Record<string, string>
  beforeAll(async () => {
    box = currentBox()
    env = currentEnv()
    await writeExtension(path.join(box.root, 'redis'), {name: 'redis', version: '0.2.0'}, {'install.sh': 'echo redis\n'})
    // Random bytes do not compress: the layer stays ~12 MiB, above the 8 MiB spool threshold, so a file-backed (streamed) upload.
    for (const name of ['big', 'logged']) await writeExtension(path.join(box.root, name), {name, version: '1.0.0'}, {'data.bin': randomBytes(12 * 1024 * 1024)})
  })

  it('oci push with stdout in a file: the file holds the result only, the terminal the progress', async () => {
    const out = path.join(box.root, 'push.out')
    const result = await runInPty(['oci', 'push', './redis'], {env, cwd: box.root, stdoutFile: out})
    expect(result.exitCode, result.terminal).toBe(0)
    expect(result.stdout).toMatch(
      /^pushed 127\.0\.0\.1:\d+\/provisioning-extensions\/redis:0\.2\.0\ndigest: sha256:[a-f0-9]{64} \(2 blob\(s\) uploaded, 0 already present\)\n$/,
    )
    expect(result.stdout).not.toMatch(PROGRESS_MARKS)
    expect(result.terminal).toContain('push ./redis')
  })

  it('oci pull > file and oci copy > file: only the result in the file', async () => {
    const pullOut = path.join(box.root, 'pull.out')
    const pulled = await runInPty(['oci', 'pull', 'redis:0.2.0', '-o', 'pulled'], {env, cwd: box.root, stdoutFile: pullOut})
    expect(pulled.exitCode, pulled.terminal).toBe(0)
    expect(pulled.stdout).toMatch(/^pulled \S+redis:0\.2\.0 into \S+pulled \(\d+ file\(s\), .+\)\ndigest: sha256:[a-f0-9]{64}\n$/)
    expect(pulled.terminal).toContain('pull redis:0.2.0')

    const copyOut = path.join(box.root, 'copy.out')
    const copied = await runInPty(['oci', 'copy', 'redis:0.2.0', `oci-layout://${box.root}/mirror/redis:0.2.0`], {env, cwd: box.root, stdoutFile: copyOut})
    expect(copied.exitCode, copied.terminal).toBe(0)
    expect(copied.stdout).toMatch(/^copied \S+redis:0\.2\.0 -> oci-layout:\S+ \(2 transferred, 0 already present, 0 mounted\)\ndigest: sha256:[a-f0-9]{64}\n$/)
    expect(copied.terminal).toContain('copy redis:0.2.0')
  })

  it('a large layer shows transferred/total and a rate on the terminal; without a TTY one line per finished blob', async () => {
    const out = path.join(box.root, 'big.out')
    const result = await runInPty(['oci', 'push', './big'], {env, cwd: box.root, stdoutFile: out})
    expect(result.exitCode, result.terminal).toBe(0)
    expect(result.stdout).toMatch(/^pushed \S+big:1\.0\.0\n/)
    expect(result.terminal).toMatch(/blob [a-f0-9]{12} {2}\d+\.\d MiB \/ 12.0 MiB {2}\d+\.\d [KMG]iB\/s/)

    // And back down: a large layer streamed from the registry shows the same meter.
    const pullOut = path.join(box.root, 'big-pull.out')
    const pulled = await runInPty(['oci', 'pull', 'big:1.0.0', '-o', 'big-pulled'], {env, cwd: box.root, stdoutFile: pullOut})
    expect(pulled.exitCode, pulled.terminal).toBe(0)
    expect(pulled.stdout).toMatch(/^pulled \S+big:1\.0\.0 into \S+big-pulled \(2 file\(s\), 12\.0 MiB\)\ndigest: sha256:[a-f0-9]{64}\n$/)
    expect(pulled.terminal).toMatch(/blob [a-f0-9]{12} {2}\d+\.\d MiB \/ 12.0 MiB {2}\d+\.\d [KMG]iB\/s/)

    // Not a terminal (a log): no meter, one line per finished blob with its size.
    const logged = await runCli(['oci', 'push', './logged', '--verbose'], {env, cwd: box.root})
    expect(logged.exitCode, logged.stderr).toBe(0)
    const lines = logged.stderr.split('\n').filter(Boolean)
    expect(lines.filter((line) => / \/ /.test(line))).toEqual([])
    expect(lines.filter((line) => /^transferred blob [a-f0-9]{12} \(12.0 MiB\)$/.test(line))).toHaveLength(1)
    expect(logged.stdout).not.toMatch(PROGRESS_MARKS)
  })

  it('dep resolve with stdout in a file: the file holds the result only', async () => {
    const ws = await bareWorkspace(box.root, 'ws')
    await declare(ws, {registry: registry().host}, {taskservs: [{name: 'redis', version: '^0.2.0'}]})
    const out = path.join(box.root, 'resolve.out')
    const result = await runInPty(['dep', 'resolve'], {env: box.env, cwd: ws, stdoutFile: out})
    expect(result.exitCode, result.terminal).toBe(0)
    expect(result.stdout).not.toMatch(PROGRESS_MARKS)
    expect(result.stdout).toContain('redis')
    expect(result.terminal).toContain('dep resolve')
    expect(await readLock(ws)).toContain('redis')
  })
})
