import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, type ResolveDoc, writeExtension} from '../helpers/deps.js'
import {useRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface Discovered {
  modules: Array<{name: string; type?: string; version?: string; onlyPrerelease?: string; description?: string; source: string}>
  warnings: string[]
}

/**
 * Inside a workspace, the registry commands read from the workspace's declared source
 * (dependencies.extensions.oci, SPEC §9.1), the one `dep resolve` uses, not oci.registry;
 * `module discover` reads local sources with the scan `dep resolve` uses (versioned layout).
 */
describe('registry commands inside a workspace use its declared source (built CLI)', () => {
  const registry = useRegistry()
  let box: Sandbox
  let ws: string
  let userStore: string
  const cli = (args: string[], cwd = ws) => runCli(args, {env: box.env, cwd})

  beforeAll(async () => {
    box = await sandbox()
    // The user's own registry (oci.registry) is a layout holding nothing but "elsewhere".
    userStore = `oci-layout://${path.join(box.root, 'user-store')}`
    box.env.PROVISIONING_OCI__REGISTRY = userStore
    const elsewhere = path.join(box.root, 'src', 'elsewhere')
    await writeExtension(elsewhere, {name: 'elsewhere', version: '1.0.0'})
    if ((await cli(['oci', 'push', elsewhere], box.root)).exitCode !== 0) throw new Error('push to the user store failed')
    // The workspace declares the real registry, which holds "declared".
    const declared = path.join(box.root, 'src', 'declared')
    await writeExtension(declared, {name: 'declared', version: '2.0.0', description: 'only in the declared registry'})
    const pushed = await runCli(['oci', 'push', declared], {env: {...box.env, PROVISIONING_OCI__REGISTRY: registry().host}, cwd: box.root})
    if (pushed.exitCode !== 0) throw new Error(pushed.stderr)
    ws = await bareWorkspace(box.root, 'ws')
    await declare(ws, {registry: registry().host, namespace: 'provisioning-extensions'}, {taskservs: ['declared']})
  })
  afterAll(() => box.cleanup())

  it('oci config, oci tags, oci list and oci search name the declared registry, as dep resolve does', async () => {
    const config = json<{registry: string; namespace: string; transport: string}>(await cli(['oci', 'config', '--json']))
    expect(config).toMatchObject({registry: registry().host, namespace: 'provisioning-extensions', transport: 'plain http'})
    const tags = await cli(['oci', 'tags', 'declared', '--json'])
    expect(tags.exitCode, tags.stderr).toBe(0)
    expect(json<{registry: string; tags: Array<{tag: string}>}>(tags)).toMatchObject({registry: registry().host, tags: [{tag: '2.0.0'}]})
    expect((await cli(['oci', 'tags', 'elsewhere'])).exitCode).toBe(4)
    expect(json<{extensions: Array<{name: string}>}>(await cli(['oci', 'list', '--json'])).extensions.map((e) => e.name)).toEqual(['declared'])
    expect(json<{matches: Array<{name: string}>}>(await cli(['oci', 'search', 'declared', '--json'])).matches.map((m) => m.name)).toEqual(['declared'])

    const resolved = await depResolve(ws, box.env, ['--json'])
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    expect(json<ResolveDoc>(resolved).order[0].reference).toBe(`${registry().host}/provisioning-extensions/declared:2.0.0`)

    // Outside the workspace the user's registry applies, and an explicit --workspace brings the declared one back.
    const outside = json<{registry: string}>(await cli(['oci', 'config', '--json'], box.root))
    expect(outside.registry).toBe(userStore)
    expect(json<{registry: string}>(await cli(['oci', 'config', '--json', '--workspace', ws], box.root)).registry).toBe(registry().host)
  })

  it('module discover lists the declared registry, not oci.registry', async () => {
    const found = json<Discovered>(await cli(['module', 'discover', '--json']))
    expect(found.warnings).toEqual([])
    expect(found.modules.filter((m) => m.source === 'registry')).toEqual([
      {name: 'declared', type: 'taskserv', version: '2.0.0', description: 'only in the declared registry', source: 'registry'},
    ])
  })

  it('module discover finds versioned local sources ({type}s/{name}/{version}/manifest.yaml) at their latest stable version', async () => {
    const src = path.join(box.root, 'local-src')
    for (const version of ['1.6.9', '1.7.0', '1.8.0-rc.1']) {
      await writeExtension(path.join(src, 'taskservs', 'containerd', version), {name: 'containerd', version, description: `containerd ${version}`})
    }
    await writeExtension(path.join(src, 'providers', 'flat'), {name: 'flat', type: 'provider', version: '0.3.0', description: 'flat layout'})
    await writeExtension(path.join(src, 'clusters', 'rc', '0.1.0-rc.1'), {name: 'rc', type: 'cluster', version: '0.1.0-rc.1'})
    const local = await bareWorkspace(box.root, 'local-ws')
    await declare(local, {local: src}, {})
    const found = json<Discovered>(await cli(['module', 'discover', '--json'], local))
    expect(found.modules.filter((m) => m.source === 'local')).toEqual([
      {name: 'containerd', type: 'taskserv', version: '1.7.0', description: 'containerd 1.7.0', source: 'local'},
      {name: 'flat', type: 'provider', version: '0.3.0', description: 'flat layout', source: 'local'},
      {name: 'rc', type: 'cluster', onlyPrerelease: '0.1.0-rc.1', description: 'rc for tests', source: 'local'},
    ])
    const onlyTaskservs = json<Discovered>(await cli(['module', 'discover', 'taskserv', 'contain', '--pre', '--json'], local))
    expect(onlyTaskservs.modules.map((m) => `${m.name}@${m.version}:${m.source}`)).toEqual(['containerd@1.8.0-rc.1:local'])

    // Each invalid manifest in the local source is its own warning naming it; the valid rest
    // of the source is still listed, and the registry still answers.
    await mkdir(path.join(src, 'taskservs', 'broken'), {recursive: true})
    await writeFile(path.join(src, 'taskservs', 'broken', 'manifest.yaml'), 'name: broken\ntype: taskserv\nversion: one\n')
    await mkdir(path.join(src, 'providers', 'misnamed'), {recursive: true})
    await writeFile(path.join(src, 'providers', 'misnamed', 'manifest.yaml'), 'name: other\ntype: provider\nversion: 1.0.0\n')
    const result = await cli(['module', 'discover', '--json'], local)
    expect(result.exitCode, result.stderr).toBe(0)
    const withBroken = json<Discovered>(result)
    // In the scan's order: providers, then taskservs.
    expect(withBroken.warnings).toEqual([
      `local source ${src}: ${path.join('providers', 'misnamed', 'manifest.yaml')} skipped: name: name "other" differs from its folder "misnamed"`,
      `local source ${src}: ${path.join('taskservs', 'broken', 'manifest.yaml')} skipped: version: version "one" is not a valid semantic version`,
    ])
    expect(withBroken.modules.filter((m) => m.source === 'local').map((m) => m.name)).toEqual(['containerd', 'flat', 'rc'])
    expect(withBroken.modules.some((m) => m.source === 'registry')).toBe(true)
    // Human output: the table on stdout, the warnings on stderr.
    const text = await cli(['module', 'discover'], local)
    expect(text.exitCode, text.stderr).toBe(0)
    expect(text.stdout).not.toMatch(/warning|skipped/i)
    expect(text.stderr).toContain(`Warning: local source ${src}: ${path.join('taskservs', 'broken', 'manifest.yaml')} skipped`)
  })
})
