import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {exampleDirs} from '../helpers/deps.js'
import {initWorkspace, type Sandbox, sandbox, writeText} from '../helpers/workspace.js'

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  )

describe('module commands (built CLI, embedded layout registry)', () => {
  let box: Sandbox
  let ws: string
  const cli = (args: string[]) => runCli(args, {env: box.env, cwd: ws})
  beforeAll(async () => {
    box = await sandbox()
    box.env.PROVISIONING_OCI__REGISTRY = `oci-layout://${box.root}/store`
    const pushed = await runCli(['oci', 'push', ...(await exampleDirs())], {env: box.env, cwd: box.root})
    if (pushed.exitCode !== 0) throw new Error(pushed.stderr)
    ws = await initWorkspace(box, 'demo', ['--activate'])
  })
  afterAll(() => box.cleanup())

  it('load adds to the declaration (comments kept) and installs with dependencies', async () => {
    const before = await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')
    expect(before).toContain('# Workspace configuration')
    const result = await cli(['module', 'load', 'taskserv', 'kubernetes@~1.27', 'containerd:1.6.9', '--json'])
    expect(result.exitCode).toBe(0)
    const doc = json<{added: string[]; resolve: {order: Array<{name: string; version: string}>}}>(result)
    expect(doc.added).toEqual(['kubernetes', 'containerd'])
    expect(doc.resolve.order.map((e) => `${e.name}@${e.version}`)).toEqual(['containerd@1.6.9', 'etcd@3.5.9', 'kubernetes@1.27.4'])
    const after = await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')
    expect(after).toContain('# Workspace configuration')
    expect(after).toContain('kubernetes')
    expect(await exists(path.join(ws, 'extensions', 'taskservs', 'etcd', 'manifest.yaml'))).toBe(true)
    const list = json<{modules: Array<{name: string; declared: string; locked: string; installed: boolean}>}>(
      await cli(['module', 'list', 'taskserv', '--json']),
    )
    expect(list.modules).toEqual(expect.arrayContaining([expect.objectContaining({name: 'kubernetes', declared: '~1.27', locked: '1.27.4', installed: true})]))
  })

  it('a load the resolver refuses leaves the declaration exactly as it was (exit 5)', async () => {
    await cli(['module', 'load', 'taskserv', 'redis'])
    const before = await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')
    const refused = await cli(['module', 'load', 'taskserv', 'keydb'])
    expect(refused.exitCode).toBe(5)
    expect(refused.stderr).toContain('conflicts with keydb')
    expect(await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')).toBe(before)
  })

  it('unload removes the module and what only it required', async () => {
    const result = json<{removed: string[]; resolve: {removed: string[]}}>(await cli(['module', 'unload', 'taskserv', 'kubernetes', '--json']))
    expect(result.removed).toEqual(['kubernetes'])
    expect(result.resolve.removed.sort()).toEqual(['etcd', 'kubernetes'])
    expect(await exists(path.join(ws, 'extensions', 'taskservs', 'kubernetes'))).toBe(false)
    expect(await exists(path.join(ws, 'extensions', 'taskservs', 'containerd', 'manifest.yaml'))).toBe(true)
    expect((await cli(['module', 'unload', 'taskserv', 'ghost'])).exitCode).toBe(4)
  })

  it('resolve tells which layer wins per file; discover finds the registry index', async () => {
    await writeText(path.join(ws, 'infra', 'default', 'extensions', 'taskservs', 'redis', 'scripts', 'install.sh'), '#!/bin/sh\necho infra override\n')
    const layers = json<{provider: string; files: Array<{file: string; layer: string; shadows: string[]}>}>(
      await cli(['module', 'resolve', 'taskserv', 'redis', '--infra', 'default', '--json']),
    )
    expect(layers.provider).toBe('infrastructure')
    expect(layers.files).toEqual(
      expect.arrayContaining([
        {file: 'scripts/install.sh', layer: 'infrastructure', shadows: ['workspace']},
        {file: 'manifest.yaml', layer: 'workspace', shadows: []},
      ]),
    )
    expect((await cli(['module', 'resolve', 'taskserv', 'ghost'])).exitCode).toBe(4)
    const found = json<{modules: Array<{name: string; source: string}>}>(await cli(['module', 'discover', 'taskserv', 'kube', '--json']))
    expect(found.modules.map((m) => `${m.name}:${m.source}`)).toContain('kubernetes:registry')
  })
})
