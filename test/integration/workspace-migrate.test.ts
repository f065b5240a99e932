import {cp, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, EXAMPLES, filesOf, installedDirs, type Modules, type ResolveDoc} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * `workspace migrate-to-oci`: a workspace resolving from a local folder publishes that folder
 * to a real registry and switches its declaration; `dep resolve` then installs the same
 * versions, byte for byte, from the registry. A failed push rewrites nothing.
 */
const MODULES: Modules = {
  providers: ['aws:2.1.0'],
  taskservs: ['containerd:1.6.9', {name: 'redis', version: '^7'}],
  clusters: [{name: 'k8s-basic', version: '^1.0'}],
}

interface MigrationDoc {
  migrated: boolean
  dryRun: boolean
  registry: string
  publish: Array<{name: string; version: string; reference: string; digest?: string}>
  rewrites: Array<{at: string; from: string; to: string}>
  missing: string[]
  backupFile?: string
}

describe('workspace migrate-to-oci', () => {
  let box: Sandbox
  let registry: RegistryHandle
  let src: string
  let ws: string
  let env: Record<string, string>
  let before: ResolveDoc

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    src = path.join(box.root, 'extensions-src')
    await cp(EXAMPLES, src, {recursive: true})
    ws = await bareWorkspace(box.root, 'local-ws')
    await runCli(['workspace', 'register', 'local-ws', ws], {env: box.env})
    await declare(ws, {local: src}, MODULES)
    env = {...box.env, PROVISIONING_OCI__REGISTRY: registry.host}
    const resolved = await depResolve(ws, env, ['--json'])
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    before = json<ResolveDoc>(resolved)
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })
  const migrate = (args: string[], extraEnv: Record<string, string> = {}) =>
    runCli(['workspace', 'migrate-to-oci', 'local-ws', ...args], {env: {...env, ...extraEnv}, cwd: box.root})
  const configText = () => readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')

  it('--dry-run prints the plan and changes nothing', async () => {
    const config = await configText()
    const result = await migrate(['--dry-run', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const plan = json<MigrationDoc>(result)
    expect(plan).toMatchObject({migrated: false, dryRun: true, registry: registry.host, missing: []})
    expect(plan.publish).toHaveLength(18)
    expect(plan.publish.find((p) => p.name === 'kubernetes' && p.version === '1.28.0')?.reference).toBe(
      `${registry.host}/provisioning-extensions/kubernetes:1.28.0`,
    )
    expect(plan.rewrites.map((r) => r.to)).toEqual([
      `oci://${registry.host}/provisioning-extensions/aws:2.1.0`,
      `oci://${registry.host}/provisioning-extensions/containerd:1.6.9`,
    ])
    expect(await configText()).toBe(config)
    const tags = await runCli(['oci', 'tags', 'kubernetes', '--json'], {env})
    expect(tags.exitCode).toBe(4)
    const human = await migrate(['--dry-run'])
    expect(human.stdout).toContain('nothing was changed (dry run)')
  })

  it('a registry that is down rewrites nothing (exit 6)', async () => {
    const config = await configText()
    const result = await migrate(['--registry', '127.0.0.1:9', '--json'], {PROVISIONING_OCI__RETRIES: '0'})
    expect(result.exitCode, result.stderr).toBe(6)
    expect(await configText()).toBe(config)
  })

  it('is refused (exit 9, naming the holder) while someone else holds the workspace lock', async () => {
    const config = await configText()
    const alice = {PROVISIONING_LOCKING__OWNER: 'alice'}
    expect((await runCli(['workspace', 'lock', 'local-ws', '--reason', 'release freeze'], {env: {...env, ...alice}})).exitCode).toBe(0)
    const refused = await migrate(['--json'], {PROVISIONING_LOCKING__OWNER: 'bob'})
    expect(refused.exitCode).toBe(9)
    expect(json<{error: {message: string}}>(refused).error.message).toContain('alice')
    expect(await configText()).toBe(config)
    expect((await runCli(['workspace', 'unlock', 'local-ws'], {env: {...env, ...alice}})).exitCode).toBe(0)
  })

  it('publishes everything, rewrites the declaration with a backup, and dep resolve installs the same from the registry', async () => {
    const original = await configText()
    const result = await migrate(['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const doc = json<MigrationDoc>(result)
    expect(doc.migrated).toBe(true)
    expect(doc.publish.every((p) => p.digest?.startsWith('sha256:'))).toBe(true)
    expect(await readFile(doc.backupFile as string, 'utf8')).toBe(original)
    const config = YAML.parse(await configText()) as {dependencies: {extensions: Record<string, unknown>}}
    expect(config.dependencies.extensions).toMatchObject({
      source_type: 'oci',
      oci: {registry: registry.host, namespace: 'provisioning-extensions', tls_enabled: false},
    })
    expect(config.dependencies.extensions.local).toBeUndefined()
    expect(config.dependencies.extensions.modules).toMatchObject({
      taskservs: [`oci://${registry.host}/provisioning-extensions/containerd:1.6.9`, {name: 'redis', version: '^7'}],
    })

    const tags = json<{tags: Array<{version: string}>}>(await runCli(['oci', 'tags', 'kubernetes', '--json'], {env}))
    expect(tags.tags.map((t) => t.version).sort()).toEqual(['1.27.4', '1.28.0'])

    const resolved = await depResolve(ws, env, ['--json'])
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    const after = json<ResolveDoc>(resolved)
    expect(after.followedLock).toBe(false)
    expect(after.order.map((e) => `${e.name}@${e.version}`)).toEqual(before.order.map((e) => `${e.name}@${e.version}`))
    // Same bytes: packaging is reproducible, so the digests the local source pinned are the published ones.
    expect(after.order.map((e) => e.digest)).toEqual(before.order.map((e) => e.digest))
    for (const e of after.order) expect(e.reference).toBe(`${registry.host}/provisioning-extensions/${e.name}:${e.version}`)
    const installed = await installedDirs(ws)
    for (const e of after.order) {
      const group = `${e.type}s`
      expect(await filesOf(installed[`${group}/${e.name}`])).toEqual(await filesOf(path.join(src, group, e.name, e.version)))
    }
  })

  it('migrates to an OCI layout registry too, keeping the oci: settings it does not decide', async () => {
    const ws2 = await bareWorkspace(box.root, 'layout-ws')
    await declare(ws2, {local: src}, {taskservs: ['redis:7.2.0']})
    const file = path.join(ws2, 'config', 'provisioning.yaml')
    const config = YAML.parse(await readFile(file, 'utf8')) as {dependencies: {extensions: Record<string, unknown>}}
    // In the user's token store ($PROVISIONING_HOME/tokens): a declaration may name no other token file.
    const tokenFile = path.join(box.home, 'tokens', 'oci')
    config.dependencies.extensions.oci = {auth_token_path: tokenFile}
    await writeFile(file, YAML.stringify(config))
    const store = path.join(box.root, 'layout-store')
    const result = await runCli(['workspace', 'migrate-to-oci', ws2, '--registry', `oci-layout://${store}`, '--json'], {env, cwd: box.root})
    expect(result.exitCode, result.stderr).toBe(0)
    const after = YAML.parse(await readFile(file, 'utf8')) as {dependencies: {extensions: {oci: unknown; modules: {taskservs: unknown[]}}}}
    expect(after.dependencies.extensions.oci).toEqual({
      auth_token_path: tokenFile,
      registry: `oci-layout://${store}`,
      namespace: 'provisioning-extensions',
      tls_enabled: false,
    })
    // A layout has no per-repository reference form: the short name:tag resolves through the oci: block.
    expect(after.dependencies.extensions.modules.taskservs).toEqual(['redis:7.2.0'])
    const resolved = await depResolve(ws2, env, ['--json'])
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    expect(json<ResolveDoc>(resolved).order.map((e) => `${e.name}@${e.version}`)).toContain('redis@7.2.0')
  })

  it('a second run has nothing to migrate and leaves the files alone', async () => {
    const config = await configText()
    const result = await migrate([])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain('already uses an OCI source')
    expect(await configText()).toBe(config)
    await expect(stat(path.join(ws, 'config', 'provisioning.yaml.local-source.bak.1'))).rejects.toThrow()
  })
})
