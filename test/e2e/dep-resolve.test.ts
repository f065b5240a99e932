import {cp, readFile, rm} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {json} from '../helpers/cli.js'
import {
  bareWorkspace,
  declare,
  depResolve,
  type ErrorDoc,
  EXAMPLES,
  exampleDir,
  exampleDirs,
  filesOf,
  generateExtension,
  installedDirs,
  leftovers,
  lockPath,
  type Modules,
  publish,
  readLock,
  type ResolveDoc,
} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {initWorkspace, type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §9 end to end: the built CLI resolves the example catalog (templates/examples)
 * published to a real distribution registry, installs it, and writes the lockfile.
 */
const GROUP_OF: Record<string, string> = {provider: 'providers', taskserv: 'taskservs', cluster: 'clusters'}

/** The example: the containerd pin forces kubernetes back to 1.27.4. */
const MODULES: Modules = {
  providers: ['aws:2.1.0'],
  taskservs: ['containerd:1.6.9', {name: 'redis', version: '^7'}],
  clusters: [{name: 'k8s-basic', version: '^1.0'}],
}
const EXPECTED_ORDER = ['aws@2.1.0', 'containerd@1.6.9', 'etcd@3.5.9', 'redis@7.2.0', 'kubernetes@1.27.4', 'cilium@1.14.2', 'k8s-basic@1.0.0']

describe('dep resolve against a real registry', () => {
  let registry: RegistryHandle
  let box: Sandbox
  /** The first resolve of MODULES from the registry, for the local-source comparison. */
  let fromRegistry: ResolveDoc | undefined

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    // A tiny cycle a -> b -> c -> a, scaffolded and published like any extension.
    const gen = path.join(box.root, 'gen')
    await generateExtension(box.env, path.join(gen, 'cyc-a'), 'cyc-a', {dependencies: {'cyc-b': '^0.1'}})
    await generateExtension(box.env, path.join(gen, 'cyc-b'), 'cyc-b', {dependencies: {'cyc-c': '*'}})
    await generateExtension(box.env, path.join(gen, 'cyc-c'), 'cyc-c', {dependencies: {'cyc-a': '>=0.1.0'}})
    await publish(registry.host, box.env, [...(await exampleDirs()), ...['cyc-a', 'cyc-b', 'cyc-c'].map((c) => path.join(gen, c))])
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  describe('one workspace, resolved, re-resolved and checked with --frozen', () => {
    let ws: string
    let firstLock: string
    beforeAll(async () => {
      ws = await initWorkspace(box, 'main')
      await declare(ws, {registry: registry.host}, MODULES)
    })

    it('chooses the versions of the designed case, installs dependencies first, and the files equal the sources', async () => {
      const result = await depResolve(ws, box.env, ['--json'])
      expect(result.exitCode, result.stderr).toBe(0)
      const doc = json<ResolveDoc>(result)
      fromRegistry = doc
      expect(doc.order.map((e) => `${e.name}@${e.version}`)).toEqual(EXPECTED_ORDER)
      expect(doc).toMatchObject({followedLock: false, lockWritten: true, dryRun: false, removed: [], unchanged: []})
      expect([...doc.installed].sort()).toEqual(EXPECTED_ORDER.map((e) => e.split('@')[0]).sort())
      for (const e of doc.order) expect(e.reference).toBe(`${registry.host}/provisioning-extensions/${e.name}:${e.version}`)

      // Dependencies first: every locked dependency (hard, or optional and present) comes earlier.
      const lock = YAML.parse(await readFile(lockPath(ws), 'utf8')) as {
        extensions: Array<{name: string; dependencies: Record<string, string>; optional: Record<string, string>}>
      }
      const position = new Map(doc.order.map((e, i) => [e.name, i]))
      for (const e of lock.extensions) {
        for (const dep of [...Object.keys(e.dependencies), ...Object.keys(e.optional)])
          expect(position.get(dep), `${dep} before ${e.name}`).toBeLessThan(position.get(e.name) as number)
      }
      expect(lock.extensions.find((e) => e.name === 'kubernetes')?.dependencies).toEqual({containerd: '1.6.9', etcd: '3.5.9'})

      // Exactly the resolved extensions are installed, each byte for byte (and mode) its source folder.
      const installed = await installedDirs(ws)
      expect(Object.keys(installed).sort()).toEqual(doc.order.map((e) => `${GROUP_OF[e.type]}/${e.name}`).sort())
      for (const e of doc.order) {
        expect(await filesOf(installed[`${GROUP_OF[e.type]}/${e.name}`]), `${e.name}@${e.version}`).toEqual(
          await filesOf(exampleDir(GROUP_OF[e.type], e.name, e.version)),
        )
      }
      expect(await leftovers(ws)).toEqual([])
      firstLock = (await readLock(ws)) as string
      expect(firstLock).not.toMatch(/\d{4}-\d\d-\d\dT/) // no timestamps
    })

    it('a second run follows the lock, installs nothing and leaves the lockfile byte-identical', async () => {
      const result = await depResolve(ws, box.env, ['--json'])
      expect(result.exitCode, result.stderr).toBe(0)
      expect(json<ResolveDoc>(result)).toMatchObject({followedLock: true, lockWritten: false, installed: [], removed: []})
      expect(json<ResolveDoc>(result).unchanged).toHaveLength(EXPECTED_ORDER.length)
      expect(await readLock(ws)).toBe(firstLock)

      // Resolving from scratch (no lock) gives the very same file: sorted, no timestamps.
      await rm(lockPath(ws))
      const again = await depResolve(ws, box.env, ['--json'])
      expect(again.exitCode, again.stderr).toBe(0)
      expect(json<ResolveDoc>(again)).toMatchObject({followedLock: false, lockWritten: true, installed: []})
      expect(await readLock(ws)).toBe(firstLock)

      const human = await depResolve(ws, box.env)
      expect(human.exitCode).toBe(0)
      expect(human.stdout).toMatch(/1\s+aws\s+2\.1\.0\s+provider\s+unchanged/)
      expect(human.stdout).toContain('followed the lockfile, lockfile unchanged')
    })

    it('--frozen fails with exit 10 once a constraint changed, and when the lock is missing; it never writes', async () => {
      const frozenOk = await depResolve(ws, box.env, ['--frozen', '--json'])
      expect(frozenOk.exitCode, frozenOk.stderr).toBe(0)
      expect(json<ResolveDoc>(frozenOk)).toMatchObject({followedLock: true, lockWritten: false})

      await declare(ws, {registry: registry.host}, {...MODULES, taskservs: ['containerd:1.6.9', {name: 'redis', version: '^7.1'}]})
      const stale = await depResolve(ws, box.env, ['--frozen'])
      expect(stale.exitCode).toBe(10)
      expect(stale.stderr).toContain(`${lockPath(ws)} is out of date`)
      expect(stale.stderr).toContain('provisioning dep resolve')
      const staleJson = json<ErrorDoc>(await depResolve(ws, box.env, ['--frozen', '--json']))
      expect(staleJson.error).toMatchObject({code: 'E_VALIDATION', exit: 10, details: {stale: true}})
      expect(await readLock(ws)).toBe(firstLock)

      await rm(lockPath(ws))
      const missing = await depResolve(ws, box.env, ['--frozen'])
      expect(missing.exitCode).toBe(10)
      expect(missing.stderr).toContain(`${lockPath(ws)} does not exist`)
      expect(await readLock(ws)).toBeUndefined()
      // The installed extensions are untouched by the refusals.
      expect(Object.keys(await installedDirs(ws))).toHaveLength(EXPECTED_ORDER.length)
    })

    it('--dry-run plans without installing or writing', async () => {
      await rm(path.join(ws, 'extensions', 'taskservs', 'redis'), {recursive: true})
      const result = await depResolve(ws, box.env, ['--dry-run', '--json'])
      expect(result.exitCode, result.stderr).toBe(0)
      expect(json<ResolveDoc>(result)).toMatchObject({dryRun: true, lockWritten: false, installed: []})
      expect(json<ResolveDoc>(result).order.map((e) => `${e.name}@${e.version}`)).toEqual(EXPECTED_ORDER)
      expect(await readLock(ws)).toBeUndefined()
      expect(await installedDirs(ws)).not.toHaveProperty('taskservs/redis')
    })
  })

  describe('failures explain themselves (exit 5)', () => {
    // One workspace, its declaration rewritten per case (fewer CLI start-ups).
    let failing: string
    const workspace = async (modules: Modules) => {
      failing ??= await bareWorkspace(box.root, 'failing')
      await declare(failing, {registry: registry.host}, modules)
      return failing
    }

    it('an unsatisfiable constraint names every constraint, who set it, and the available versions', async () => {
      const ws = await workspace({taskservs: ['containerd:1.6.0', 'kubernetes:1.28.0']})
      const result = await depResolve(ws, box.env)
      expect(result.exitCode).toBe(5)
      expect(result.stderr).toContain('no version of containerd satisfies every constraint')
      // The declaring file and line (issue 11), then the key.
      const line = (await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')).split('\n').findIndex((l) => l.includes('containerd:1.6.0')) + 1
      expect(line).toBeGreaterThan(0)
      expect(result.stderr).toContain(
        `workspace -> containerd 1.6.0   (declared at config/provisioning.yaml:${line}, dependencies.extensions.modules.taskservs[0])`,
      )
      expect(result.stderr).toContain(`the workspace depends on containerd 1.6.0 (config/provisioning.yaml:${line})`)
      expect(result.stderr).toContain('workspace -> kubernetes@1.28.0 -> containerd >=1.7.0')
      expect(result.stderr).toContain('available versions of containerd: 1.6.0, 1.6.9, 1.7.2')
      expect(result.stderr).toMatch(/Hint: .*relax one of the constraints/)

      const doc = json<ErrorDoc>(await depResolve(ws, box.env, ['--json']))
      expect(doc.error).toMatchObject({code: 'E_RESOLUTION', exit: 5, details: {name: 'containerd', available: ['1.6.0', '1.6.9', '1.7.2']}})
      const chains = (doc.error.details.constraints as Array<{chain: string}>).map((c) => c.chain)
      expect(chains).toEqual(expect.arrayContaining(['workspace -> containerd 1.6.0', 'workspace -> kubernetes@1.28.0 -> containerd >=1.7.0']))
      // Nothing was installed and no lock written.
      expect(await readLock(ws)).toBeUndefined()
      expect(await installedDirs(ws)).toEqual({})
    })

    it('a range no published version meets lists what is available', async () => {
      const ws = await workspace({taskservs: [{name: 'redis', version: '^8'}]})
      const result = await depResolve(ws, box.env, ['--json'])
      expect(result.exitCode).toBe(5)
      const {error} = json<ErrorDoc>(result)
      expect(error.message).toContain('no version of redis satisfies every constraint')
      expect(error.message).toContain('workspace -> redis ^8')
      expect(error.message).toContain('available versions of redis: 7.2.0')
      expect(error.details).toMatchObject({name: 'redis', available: ['7.2.0']})
    })

    it('a conflict names both sides', async () => {
      const ws = await workspace({taskservs: ['redis', 'keydb']})
      const result = await depResolve(ws, box.env)
      expect(result.exitCode).toBe(5)
      expect(result.stderr).toContain('workspace -> keydb *')
      expect(result.stderr).toContain('workspace -> redis@7.2.0 -> conflicts with keydb *')
      expect(result.stderr).toContain('available versions of keydb: 6.3.4')
      const {error} = json<ErrorDoc>(await depResolve(ws, box.env, ['--json']))
      expect(error).toMatchObject({code: 'E_RESOLUTION', exit: 5, details: {name: 'keydb'}})
      expect(error.details.constraints).toEqual(
        expect.arrayContaining([expect.objectContaining({chain: 'workspace -> redis@7.2.0 -> conflicts with keydb *', kind: 'conflict'})]),
      )
      expect(await installedDirs(ws)).toEqual({})
    })

    it('a cycle is reported as the whole path', async () => {
      const ws = await workspace({taskservs: ['cyc-a']})
      const result = await depResolve(ws, box.env)
      expect(result.exitCode).toBe(5)
      expect(result.stderr).toContain('dependency cycle: cyc-a -> cyc-b -> cyc-c -> cyc-a')
      // The story: which version requires the next name with which range, and the way in.
      expect(result.stderr).toContain('  cyc-a@0.1.0 requires cyc-b ^0.1\n  cyc-b@0.1.0 requires cyc-c *\n  cyc-c@0.1.0 requires cyc-a >=0.1.0')
      expect(result.stderr).toContain('workspace -> cyc-a *   (declared at dependencies.extensions.modules.taskservs[0])')
      const {error} = json<ErrorDoc>(await depResolve(ws, box.env, ['--json']))
      expect(error).toMatchObject({code: 'E_RESOLUTION', exit: 5, details: {cycle: ['cyc-a', 'cyc-b', 'cyc-c', 'cyc-a']}})
      expect(error.details.edges).toEqual([
        {from: 'cyc-a', version: '0.1.0', to: 'cyc-b', range: '^0.1'},
        {from: 'cyc-b', version: '0.1.0', to: 'cyc-c', range: '*'},
        {from: 'cyc-c', version: '0.1.0', to: 'cyc-a', range: '>=0.1.0'},
      ])
      expect(await installedDirs(ws)).toEqual({})
    })
  })

  it('source_type local resolves the same versions from a folder, with no registry at all', async () => {
    const src = path.join(box.root, 'extensions-src')
    await cp(EXAMPLES, src, {recursive: true})
    const ws = await bareWorkspace(box.root, 'local-ws')
    await declare(ws, {local: src}, MODULES)
    // Any registry request would fail: nothing listens on port 9.
    const env = {...box.env, PROVISIONING_OCI__REGISTRY: '127.0.0.1:9'}
    const result = await depResolve(ws, env, ['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const doc = json<ResolveDoc>(result)
    expect(doc.order.map((e) => `${e.name}@${e.version}`)).toEqual(EXPECTED_ORDER)
    const installed = await installedDirs(ws)
    for (const e of doc.order) {
      expect(e.reference).toBe(`local:${path.join(src, GROUP_OF[e.type], e.name, e.version)}`)
      expect(await filesOf(installed[`${GROUP_OF[e.type]}/${e.name}`])).toEqual(await filesOf(exampleDir(GROUP_OF[e.type], e.name, e.version)))
    }
    // Packaging is reproducible: a local folder pins the digest it would publish as.
    expect(fromRegistry, 'the registry resolve ran first').toBeDefined()
    expect(doc.order.map((e) => e.digest)).toEqual(fromRegistry?.order.map((e) => e.digest))

    const again = await depResolve(ws, env, ['--json'])
    expect(json<ResolveDoc>(again)).toMatchObject({followedLock: true, lockWritten: false, installed: []})
    expect((await depResolve(ws, env, ['--frozen'])).exitCode).toBe(0)
  })
})
