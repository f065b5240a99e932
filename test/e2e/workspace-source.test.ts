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
  const search = async (args: string[]) => {
    const result = await cli(['oci', 'search', ...args, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    return json<{matches: Array<{name: string}>}>(result).matches
  }

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
      {name: 'declared', type: 'taskserv', version: '2.0.0', description: 'only in the declared registry', source: 'registry', repository: 'default'},
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

  it('every oci command taking a short NAME uses the declared registry; a full reference names its own', async () => {
    const host = registry().host
    const ref = (name: string, ns = 'provisioning-extensions') => `${host}/${ns}/${name}`
    const inspect = await cli(['oci', 'inspect', 'declared', '--json'])
    expect(inspect.exitCode, inspect.stderr).toBe(0)
    expect(json<{reference: string}>(inspect).reference).toBe(`${ref('declared')}:2.0.0`)
    const pull = await cli(['oci', 'pull', 'declared', '--output', path.join(box.root, 'pulled'), '--json'])
    expect(pull.exitCode, pull.stderr).toBe(0)
    expect(json<{reference: string}>(pull).reference).toBe(`${ref('declared')}:2.0.0`)

    // The issue: "oci push ./x && oci search x" missed inside such a workspace.
    await search(['declared']) // the declared registry's index is cached
    const fresh = path.join(box.root, 'src', 'fresh')
    await writeExtension(fresh, {name: 'fresh', version: '0.1.0', description: 'pushed from the workspace'})
    const pushed = await cli(['oci', 'push', fresh, '--json'])
    expect(pushed.exitCode, pushed.stderr).toBe(0)
    expect(json<{reference: string}>(pushed).reference).toBe(`${ref('fresh')}:0.1.0`)
    expect((await search(['fresh'])).map((m) => m.name)).toEqual(['fresh'])
    expect(json<{tags: Array<{tag: string}>}>(await cli(['oci', 'tags', 'fresh', '--json'])).tags.map((t) => t.tag)).toEqual(['0.1.0'])
    // --namespace still chooses the namespace within the declared registry.
    const flagged = await cli(['oci', 'push', fresh, '--namespace', 'flagged', '--json'])
    expect(json<{reference: string}>(flagged).reference).toBe(`${ref('fresh', 'flagged')}:0.1.0`)

    const tagged = await cli(['oci', 'tag', 'fresh:0.1.0', 'stable', '--json'])
    expect(tagged.exitCode, tagged.stderr).toBe(0)
    expect(json<{tags: Array<{tag: string}>}>(await cli(['oci', 'tags', 'fresh', '--json'])).tags.map((t) => t.tag)).toEqual(['0.1.0', 'stable'])
    const copied = await cli(['oci', 'copy', 'fresh:0.1.0', 'fresher', '--json'])
    expect(copied.exitCode, copied.stderr).toBe(0)
    expect(json<{destination: string}>(copied).destination).toBe(`${ref('fresher')}:0.1.0`)
    const deleted = await cli(['oci', 'delete', 'fresher:0.1.0', '--yes', '--json'])
    expect(deleted.exitCode, deleted.stderr).toBe(0)
    // The registry keeps the emptied repository: no tags left in the declared registry.
    expect(json<{registry: string; tags: unknown[]}>(await cli(['oci', 'tags', 'fresher', '--json']))).toMatchObject({registry: host, tags: []})

    // A full reference still names its own registry (here the user's layout store).
    const own = await cli(['oci', 'inspect', `${userStore}/provisioning-extensions/elsewhere:1.0.0`, '--json'])
    expect(own.exitCode, own.stderr).toBe(0)
  }, 300_000) // ~15 CLI processes; several engineers share 2 cores

  it('a broken declaration: read-only views fall back to oci.* with a warning; writing commands fail (exit 3)', async () => {
    const broken = await bareWorkspace(box.root, 'gitea-ws')
    const file = path.join(broken, 'config', 'provisioning.yaml')
    // The declaration is in the workspace, which arrives through pull requests: a typo must not hide oci config.
    const brokenCli = (args: string[]) => runCli(args, {env: box.env, cwd: broken})
    const elsewhere = path.join(box.root, 'src', 'elsewhere')
    for (const extensions of ['source_type: gitea', 'oops']) {
      await writeFile(file, `workspace: {name: gitea-ws}\ndependencies:\n  extensions: ${extensions === 'oops' ? 'oops' : `{${extensions}}`}\n`)
      const expected = extensions === 'oops' ? 'dependencies.extensions must be a table' : 'source_type = gitea is not supported'
      const config = await brokenCli(['oci', 'config', '--json'])
      expect(config.exitCode, config.stderr).toBe(0)
      expect(json<{registry: string}>(config).registry).toBe(userStore)
      expect(config.stderr).toContain(`warning: `)
      expect(config.stderr).toContain(expected)
      expect(config.stderr).toContain('using the oci.* settings')
      if (extensions === 'oops') {
        expect((await brokenCli(['oci', 'push', elsewhere, '--json'])).exitCode).toBe(3)
        continue
      }
      for (const view of [
        ['oci', 'tags', 'elsewhere'],
        ['oci', 'list'],
        ['oci', 'search', 'elsewhere'],
        ['oci', 'inspect', 'elsewhere'],
      ]) {
        const result = await brokenCli([...view, '--json'])
        expect(result.exitCode, `${view.join(' ')}: ${result.stderr}`).toBe(0)
        expect(result.stdout, view.join(' ')).toContain('elsewhere')
        expect(result.stderr, view.join(' ')).toContain(expected)
      }
      const discovered = json<Discovered>(await brokenCli(['module', 'discover', '--json']))
      expect(discovered.warnings).toEqual([expect.stringContaining(expected)])
      expect(discovered.modules.map((m) => m.name)).toContain('elsewhere')
      for (const write of [
        ['oci', 'push', elsewhere],
        ['oci', 'tag', 'elsewhere:1.0.0', 'stable'],
        ['oci', 'copy', 'elsewhere:1.0.0', 'other'],
        ['oci', 'delete', 'elsewhere:1.0.0', '--yes'],
      ]) {
        const result = await brokenCli([...write, '--json'])
        expect(result.exitCode, write.join(' ')).toBe(3)
        expect(result.stdout, write.join(' ')).toContain(expected)
      }
    }
  }, 400_000) // ~20 CLI processes
})
