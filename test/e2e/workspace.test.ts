import {readdir, readFile, stat, writeFile} from 'node:fs/promises'
import {mkdir} from 'node:fs/promises'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {initWorkspace, type Sandbox, sandbox} from '../helpers/workspace.js'

describe('workspace commands (built CLI)', () => {
  let box: Sandbox
  beforeEach(async () => {
    box = await sandbox()
  })
  afterEach(() => box.cleanup())

  it('init scaffolds the SPEC §4 layout, registers and activates', async () => {
    const dir = path.join(box.root, 'alpha')
    const result = await runCli(['workspace', 'init', 'alpha', '--path', dir, '--activate', '--json'], {env: box.env})
    expect(result.exitCode).toBe(0)
    const doc = json<{name: string; path: string; activated: boolean; files: string[]}>(result)
    expect(doc).toMatchObject({name: 'alpha', path: dir, activated: true})
    expect(doc.files).toContain('config/provisioning.yaml')
    expect(await readFile(path.join(dir, 'config', 'provisioning.yaml'), 'utf8')).toContain('name: "alpha"')
    for (const sub of ['extensions/providers', 'extensions/taskservs', 'extensions/clusters', 'infra/default']) {
      expect((await stat(path.join(dir, sub))).isDirectory()).toBe(true)
    }
    expect((await runCli(['workspace', 'active'], {env: box.env})).stdout).toContain('alpha')
    // The active workspace is found from anywhere.
    const info = json<{name: string; path: string; environment: string}>(await runCli(['workspace', 'info', '--json'], {env: box.env}))
    expect(info).toMatchObject({name: 'alpha', path: dir, environment: 'dev'})
  })

  it('init without --path uses paths.workspaces under PROVISIONING_HOME', async () => {
    const doc = json<{path: string}>(await runCli(['workspace', 'init', 'beta', '--json'], {env: box.env}))
    expect(doc.path).toBe(path.join(box.home, 'workspaces', 'beta'))
  })

  it('init refuses a non-empty folder and touches nothing', async () => {
    const dir = path.join(box.root, 'busy')
    await mkdir(dir)
    await writeFile(path.join(dir, 'keep.txt'), 'mine')
    const result = await runCli(['workspace', 'init', 'busy', '--path', dir], {env: box.env})
    expect(result.exitCode).toBe(10)
    expect(result.stderr).toContain('not empty')
    expect(await readdir(dir)).toEqual(['keep.txt'])
    expect(json<{workspaces: unknown[]}>(await runCli(['workspace', 'list', '--json'], {env: box.env})).workspaces).toEqual([])
    // Leaves no staging folder behind either.
    expect((await readdir(box.root)).filter((f) => f.includes('init-'))).toEqual([])
  })

  it('init refuses a name that is taken or invalid', async () => {
    await initWorkspace(box, 'one')
    expect((await runCli(['workspace', 'init', 'one', '--path', path.join(box.root, 'other')], {env: box.env})).exitCode).toBe(10)
    expect((await runCli(['workspace', 'init', '../evil', '--path', path.join(box.root, 'x')], {env: box.env})).exitCode).toBe(10)
  })

  it('finds the workspace: --workspace, PROVISIONING_WORKSPACE, parent folder, then the active one', async () => {
    const a = await initWorkspace(box, 'a', ['--activate'])
    await initWorkspace(box, 'b')
    const c = await initWorkspace(box, 'c')
    const nested = path.join(c, 'infra', 'default')
    const name = async (args: string[], env: Record<string, string> = {}, cwd = box.root) =>
      json<{name: string}>(await runCli(['workspace', 'info', '--json', ...args], {env: {...box.env, ...env}, cwd})).name
    expect(await name([])).toBe('a')
    expect(await name([], {}, nested)).toBe('c')
    expect(await name([], {PROVISIONING_WORKSPACE: 'b'}, nested)).toBe('b')
    expect(await name(['--workspace', a], {PROVISIONING_WORKSPACE: 'b'}, nested)).toBe('a')
    expect(await name(['b'])).toBe('b')
  })

  it('register, switch (and its alias activate), list and remove', async () => {
    const dir = await initWorkspace(box, 'first')
    expect((await runCli(['workspace', 'remove', 'first'], {env: box.env})).exitCode).toBe(0)
    // remove never deletes files
    expect((await stat(path.join(dir, 'config', 'provisioning.yaml'))).isFile()).toBe(true)
    expect((await runCli(['workspace', 'register', 'again', dir], {env: box.env})).exitCode).toBe(0)
    expect((await runCli(['workspace', 'switch', 'again'], {env: box.env})).exitCode).toBe(0)
    expect((await runCli(['workspace', 'activate', 'again', '--json'], {env: box.env})).exitCode).toBe(0)
    const list = json<{active: string; workspaces: Array<{name: string; active: boolean; exists: boolean}>}>(
      await runCli(['workspace', 'list', '--json'], {env: box.env}),
    )
    expect(list.active).toBe('again')
    expect(list.workspaces).toEqual([expect.objectContaining({name: 'again', active: true, exists: true})])
  })

  it('rejects bad paths and names with exit 4 and a hint', async () => {
    const notWs = path.join(box.root, 'plain')
    await mkdir(notWs)
    const reg = await runCli(['workspace', 'register', 'plain', notWs], {env: box.env})
    expect(reg.exitCode).toBe(4)
    expect(reg.stderr).toContain('config/provisioning.yaml')
    expect((await runCli(['workspace', 'register', 'ghost', path.join(box.root, 'ghost')], {env: box.env})).exitCode).toBe(4)
    expect((await runCli(['workspace', 'switch', 'ghost'], {env: box.env})).exitCode).toBe(4)
    expect((await runCli(['workspace', 'remove', 'ghost'], {env: box.env})).exitCode).toBe(4)
    const info = await runCli(['workspace', 'info'], {env: box.env, cwd: box.root})
    expect(info.exitCode).toBe(4)
    expect(info.stderr).toContain('Hint:')
  })

  it('reports a registered workspace whose folder vanished', async () => {
    const dir = await initWorkspace(box, 'gone', ['--activate'])
    const {rm} = await import('node:fs/promises')
    await rm(dir, {recursive: true})
    const list = json<{workspaces: Array<{exists: boolean}>}>(await runCli(['workspace', 'list', '--json'], {env: box.env}))
    expect(list.workspaces[0].exists).toBe(false)
    expect((await runCli(['workspace', 'switch', 'gone'], {env: box.env})).exitCode).toBe(4)
  })

  it('serializes concurrent registrations without losing any', async () => {
    const dirs = await Promise.all(['w1', 'w2', 'w3', 'w4', 'w5', 'w6'].map((n) => initWorkspace(box, n)))
    await Promise.all(dirs.map((_dir, i) => runCli(['workspace', 'remove', `w${i + 1}`], {env: box.env})))
    const results = await Promise.all(dirs.map((dir, i) => runCli(['workspace', 'register', `r${i}`, dir], {env: box.env})))
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0, 0, 0, 0])
    const list = json<{workspaces: Array<{name: string}>}>(await runCli(['workspace', 'list', '--json'], {env: box.env}))
    expect(list.workspaces.map((w) => w.name)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5'])
  }, 180_000) // three rounds of six CLI processes at once: over 60 s on two loaded cores
})
