import {execFileSync} from 'node:child_process'
import {cp, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile} from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {folderFingerprint} from '../../src/lib/extension/folder-fingerprint.js'
import {json, runCli} from '../helpers/cli.js'
import {
  bareWorkspace,
  declare,
  depResolve,
  type ErrorDoc,
  exampleDir,
  installedDirs,
  lockPath,
  publish,
  readLock,
  type ResolveDoc,
  writeExtension,
} from '../helpers/deps.js'
import {pushArtifact} from '../helpers/registry-http.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {readTree, type TreeEntry} from '../helpers/tree.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

const EXTENSION_ARTIFACT = 'application/vnd.provisioning.extension.v1'
const EXTENSION_CONFIG = 'application/vnd.provisioning.extension.config.v1+json'

/**
 * SPEC §14, issue 10 items 1–4: names, types, versions and references that come from a
 * registry, the lockfile, the state file or a local source never become a path outside the
 * workspace's extensions/ folder, a request to another host, or an install of other content.
 * Every case checks a "victim" folder next to the workspace byte for byte.
 */
describe('dep resolve: the trust boundary for metadata', () => {
  let registry: RegistryHandle
  let box: Sandbox
  /** Workspaces live in ws/team/, so "../../../victim" from extensions/<group>/ lands on ws/team/victim. */
  let wsRoot: string
  let counter = 0

  /** Everything outside the workspaces and the CLI home (whose cache may legitimately change). */
  const outside = async (): Promise<Record<string, TreeEntry>> =>
    Object.fromEntries(Object.entries(await readTree(box.root)).filter(([rel]) => !/^(home|docker|ws\/team\/(demo|tampered|clone|source)\d*)(\/|$)/.test(rel)))

  const newWorkspace = async () => bareWorkspace(wsRoot, `demo${++counter}`)

  const pushExtension = (repo: string, tag: string, config: Record<string, unknown>) =>
    pushArtifact(registry.url, `provisioning-extensions/${repo}`, tag, {
      config,
      configMediaType: EXTENSION_CONFIG,
      artifactType: EXTENSION_ARTIFACT,
      layer: [{name: 'manifest.yaml', content: YAML.stringify(config)}],
    })

  beforeAll(async () => {
    box = await sandbox()
    wsRoot = path.join(box.root, 'ws', 'team')
    await mkdir(wsRoot, {recursive: true})
    // The victims: folders an attacker would like to replace or delete.
    for (const victim of ['victim', 'ws/team/victim', 'ws/team/victim2', 'ws/team/x/ys/evil']) {
      await mkdir(path.join(box.root, victim), {recursive: true})
      await writeFile(path.join(box.root, victim, 'precious.txt'), `keep ${victim}\n`)
    }
    registry = await startRegistry()
    await publish(registry.host, box.env, [exampleDir('taskservs', 'redis', '7.2.0'), exampleDir('taskservs', 'etcd', '3.5.9')])
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  describe('hostile content from a registry (exit 8)', () => {
    it('two tags of one version (1.1.0 and v1.1.0, different content): the plain tag is resolved, locked and installed, every run', async () => {
      await pushExtension('twotags', '1.1.0', {name: 'twotags', type: 'taskserv', version: '1.1.0', dependencies: {etcd: '*'}})
      await pushExtension('twotags', 'v1.1.0', {name: 'twotags', type: 'taskserv', version: '1.1.0', dependencies: {redis: '*'}})
      for (let run = 0; run < 3; run++) {
        const ws = await newWorkspace()
        await declare(ws, {registry: registry.host}, {taskservs: ['twotags']})
        const result = await depResolve(ws, box.env, ['--json'])
        expect(result.exitCode, result.stderr).toBe(0)
        const order = json<ResolveDoc>(result).order
        // The record (reference, digest) is the artifact whose dependencies were resolved.
        expect(order.map((e) => e.name).sort()).toEqual(['etcd', 'twotags'])
        expect(order.find((e) => e.name === 'twotags')?.reference).toBe(`${registry.host}/provisioning-extensions/twotags:1.1.0`)
      }
    })

    it('a config blob whose type is "../../x/y" is refused before anything is written', async () => {
      const evil = await pushExtension('evil', '1.0.0', {name: 'evil', type: '../../x/y', version: '1.0.0'})
      const ws = await newWorkspace()
      await declare(ws, {registry: registry.host}, {taskservs: ['evil:1.0.0']})
      const before = await outside()
      const result = await depResolve(ws, box.env, ['--json'])
      expect(result.exitCode).toBe(8)
      const {error} = json<ErrorDoc>(result)
      expect(error.code).toBe('E_INTEGRITY')
      expect(error.message).toContain(`${registry.host}/provisioning-extensions/evil:1.0.0 has invalid extension metadata`)
      expect(error.message).toContain('type: type must be one of provider, taskserv, cluster, got "../../x/y"')
      expect(await outside()).toEqual(before)
      expect(await installedDirs(ws)).toEqual({})
      expect(await readLock(ws)).toBeUndefined()
      // Refused metadata leaves neither its manifest nor its config blob in the cache.
      const cached = await readdir(path.join(box.home, 'cache', 'oci', 'blobs', 'sha256')).catch(() => [] as string[])
      expect(cached).not.toContain(evil.digest.slice('sha256:'.length))
      expect(cached).not.toContain(evil.manifest.config.digest.slice('sha256:'.length))
    })

    it('a dependency named "../../../victim" is refused and never requested from the registry', async () => {
      await pushExtension('lure', '1.0.0', {name: 'lure', type: 'taskserv', version: '1.0.0', dependencies: {'../../../victim': '*', redis: '^7'}})
      const ws = await newWorkspace()
      await declare(ws, {registry: registry.host}, {taskservs: ['lure:1.0.0']})
      const before = await outside()
      const result = await depResolve(ws, box.env, ['--json'])
      expect(result.exitCode).toBe(8)
      const {error} = json<ErrorDoc>(result)
      expect(error.message).toContain('dependencies.../../../victim: dependencies key "../../../victim" is not a valid extension name')
      expect(await outside()).toEqual(before)
      expect(await installedDirs(ws)).toEqual({})
      // The registry's own access log: no request for the victim's name, normalised or not.
      expect(await readFile(registry.logFile, 'utf8')).not.toMatch(/victim/)
    })

    it('a config blob that is not an object, or names a 300-character dependency, is exit 8 too', async () => {
      await pushArtifact(registry.url, 'provisioning-extensions/scalar', '1.0.0', {
        config: '"just a string"',
        configMediaType: EXTENSION_CONFIG,
        artifactType: EXTENSION_ARTIFACT,
      })
      await pushExtension('longdep', '1.0.0', {name: 'longdep', type: 'taskserv', version: '1.0.0', dependencies: {['a'.repeat(300)]: '*'}})
      for (const name of ['scalar', 'longdep']) {
        const ws = await newWorkspace()
        await declare(ws, {registry: registry.host}, {taskservs: [`${name}:1.0.0`]})
        const result = await depResolve(ws, box.env, ['--json'])
        expect(result.exitCode, result.stdout).toBe(8)
        expect(json<ErrorDoc>(result).error.message).toContain('has invalid extension metadata')
        expect(await installedDirs(ws)).toEqual({})
      }
    })

    it('a self-dependent config blob is exit 8 naming the reference and the reason (as a local manifest is exit 3); dep validate lists it (exit 10)', async () => {
      await pushExtension('selfish', '1.0.0', {name: 'selfish', type: 'taskserv', version: '1.0.0', dependencies: {selfish: '*'}})
      const ws = await newWorkspace()
      await declare(ws, {registry: registry.host}, {taskservs: ['selfish:1.0.0']})
      const reason = `${registry.host}/provisioning-extensions/selfish:1.0.0 has invalid extension metadata:\n  - dependencies.selfish: the extension "selfish" lists itself in dependencies`
      const resolved = await runCli(['dep', 'resolve', '--json'], {env: box.env, cwd: ws})
      expect(resolved.exitCode).toBe(8)
      expect(json<ErrorDoc>(resolved).error.message).toBe(reason)
      // dep validate lists it as one of its problems (exit 10, SPEC 9.3) instead of stopping there.
      const validated = await runCli(['dep', 'validate', '--json'], {env: box.env, cwd: ws})
      expect(validated.exitCode).toBe(10)
      const problems = (json<ErrorDoc>(validated).error.details as {problems: Array<{kind: string; name?: string; message: string}>}).problems
      expect(problems).toEqual([expect.objectContaining({kind: 'manifest', name: 'selfish', message: expect.stringContaining(reason)})])
      expect(await installedDirs(ws)).toEqual({})
    })
  })

  describe('a tampered lockfile with its inputs digest unchanged', () => {
    let template: string
    let cleanLock: string

    beforeAll(async () => {
      template = await newWorkspace()
      await declare(template, {registry: registry.host}, {taskservs: [{name: 'redis', version: '>=7'}]})
      const result = await depResolve(template, box.env)
      if (result.exitCode !== 0) throw new Error(result.stderr)
      cleanLock = (await readLock(template)) as string
    })

    /** A copy of the resolved workspace whose lock has `edit` applied to the redis entry. */
    const tampered = async (edit: (entry: Record<string, unknown>) => void): Promise<string> => {
      const ws = path.join(wsRoot, `tampered${++counter}`)
      await cp(template, ws, {recursive: true})
      const lock = YAML.parse(cleanLock) as {extensions: Array<Record<string, unknown>>}
      edit(lock.extensions[0])
      await writeFile(lockPath(ws), YAML.stringify(lock))
      return ws
    }

    /** --frozen refuses with `exit` and writes nothing anywhere; a plain run repairs the lock. */
    const refusedThenRepaired = async (ws: string, exit: number, message: string | RegExp) => {
      const before = await outside()
      const wsBefore = await readTree(ws)
      const frozen = await depResolve(ws, box.env, ['--frozen', '--json'])
      expect(frozen.exitCode, frozen.stdout).toBe(exit)
      expect(json<ErrorDoc>(frozen).error.message).toMatch(message)
      expect(await readTree(ws)).toEqual(wsBefore)
      expect(await outside()).toEqual(before)

      const repaired = await depResolve(ws, box.env, ['--json'])
      expect(repaired.exitCode, repaired.stderr).toBe(0)
      const doc = json<ResolveDoc>(repaired)
      expect(doc.warnings.join('\n')).toMatch(/re-resolved/)
      expect(doc.lockWritten).toBe(true)
      expect(await readLock(ws)).toBe(cleanLock)
      expect(Object.keys(await installedDirs(ws))).toEqual(['taskservs/redis'])
      expect(await outside()).toEqual(before)
      // Repaired means followed from now on, with nothing to say.
      const again = json<ResolveDoc>(await depResolve(ws, box.env, ['--frozen', '--json']))
      expect(again).toMatchObject({followedLock: true, warnings: [], installed: [], unchanged: ['redis']})
    }

    it('name "../../../victim": --frozen exit 3, nothing written; a plain run re-resolves', async () => {
      const ws = await tampered((e) => {
        e.name = '../../../victim'
      })
      await refusedThenRepaired(ws, 3, /extensions\[0\]\.name "\.\.\/\.\.\/\.\.\/victim" is not an extension name/)
    })

    it('type "../../x/y": --frozen exit 3, nothing written; a plain run re-resolves', async () => {
      const ws = await tampered((e) => {
        e.type = '../../x/y'
      })
      await refusedThenRepaired(ws, 3, /extensions\[0\]\.type \(redis\) "\.\.\/\.\.\/x\/y" is not one of provider, taskserv, cluster/)
    })

    it('reference local:/any/dir in an OCI workspace: --frozen exit 10, the folder is never installed', async () => {
      const ws = await tampered((e) => {
        e.reference = `local:${path.join(box.root, 'victim')}`
      })
      await refusedThenRepaired(ws, 10, /names a local folder, but the workspace's extensions come from an OCI registry/)
    })

    it('version 9.9.9 over 7.2.0 content (tag edited too): --frozen exit 10 naming the content version', async () => {
      const ws = await tampered((e) => {
        e.version = '9.9.9'
        e.reference = String(e.reference).replace(/:7\.2\.0$/, ':9.9.9')
      })
      await refusedThenRepaired(ws, 10, /redis@9\.9\.9: the locked content is version 7\.2\.0/)
    })

    it('version edited alone: the reference tag disagrees (exit 10)', async () => {
      const ws = await tampered((e) => {
        e.version = '7.2.1'
      })
      await refusedThenRepaired(ws, 10, /is tagged for another version than 7\.2\.1/)
    })

    it('a reference naming another host is never contacted', async () => {
      let connections = 0
      const trap = net.createServer((socket) => {
        connections++
        socket.destroy()
      })
      await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
      const {port} = trap.address() as net.AddressInfo
      try {
        const ws = await tampered((e) => {
          e.reference = String(e.reference).replace(registry.host, `127.0.0.1:${port}`)
        })
        await refusedThenRepaired(
          ws,
          10,
          new RegExp(
            `127\\.0\\.0\\.1:${port}/provisioning-extensions/redis:7\\.2\\.0 is not in ${registry.host.replace(/\./g, '\\.')}/provisioning-extensions/redis`,
          ),
        )
        expect(connections).toBe(0)
      } finally {
        trap.close()
      }
    })

    it('an extra locked extension nothing declared requires is refused (exit 10)', async () => {
      const ws = path.join(wsRoot, `tampered${++counter}`)
      await cp(template, ws, {recursive: true})
      const etcd = await newWorkspace()
      await declare(etcd, {registry: registry.host}, {taskservs: ['etcd']})
      expect((await depResolve(etcd, box.env)).exitCode).toBe(0)
      const lock = YAML.parse(cleanLock) as {extensions: unknown[]}
      lock.extensions.unshift((YAML.parse((await readLock(etcd)) as string) as {extensions: unknown[]}).extensions[0])
      await writeFile(lockPath(ws), YAML.stringify(lock))
      await refusedThenRepaired(ws, 10, /etcd@3\.5\.9 is locked, but nothing declared requires it/)
    })
  })

  it('an .installed.json entry named "../../../victim2" is ignored with a warning, never removed', async () => {
    const ws = await newWorkspace()
    await declare(ws, {registry: registry.host}, {taskservs: ['redis']})
    expect((await depResolve(ws, box.env)).exitCode).toBe(0)
    const stateFile = path.join(ws, 'extensions', '.installed.json')
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as {extensions: Record<string, unknown>}
    state.extensions['../../../victim2'] = {type: 'taskserv', version: '1.0.0', digest: `sha256:${'0'.repeat(64)}`}
    state.extensions.sneaky = {type: '../../x', version: '1.0.0', digest: `sha256:${'0'.repeat(64)}`}
    await writeFile(stateFile, JSON.stringify(state))
    // Where the entry points: extensions/taskservs/../../../victim2, next to the workspace.
    expect(path.resolve(ws, 'extensions', 'taskservs', '../../../victim2')).toBe(path.join(wsRoot, 'victim2'))
    const before = await outside()

    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const doc = json<ResolveDoc>(result)
    expect(doc.removed).toEqual([])
    expect(doc.warnings.join('\n')).toContain('ignored the entry "../../../victim2", which no install could have written')
    expect(doc.warnings.join('\n')).toContain('ignored the entry "sneaky"')
    expect(await outside()).toEqual(before)
    // The state file is rewritten without them once something changes; until then they stay inert.
    expect(Object.keys(await installedDirs(ws))).toEqual(['taskservs/redis'])
  })

  it('a committed symbolic link at extensions/taskservs is refused (exit 8): nothing installed or removed through it', async () => {
    const ws = await newWorkspace()
    await declare(ws, {registry: registry.host}, {taskservs: ['redis']})
    expect((await depResolve(ws, box.env)).exitCode).toBe(0)
    // The pull request: extensions/taskservs becomes a link next to the workspace, and the
    // state file claims an extension there that is no longer wanted.
    const taskservs = path.join(ws, 'extensions', 'taskservs')
    await rename(taskservs, `${taskservs}.real`)
    await symlink('../../victim', taskservs)
    const stateFile = path.join(ws, 'extensions', '.installed.json')
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as {extensions: Record<string, unknown>}
    state.extensions['precious.txt'] = {type: 'taskserv', version: '1.0.0', digest: `sha256:${'0'.repeat(64)}`}
    await writeFile(stateFile, JSON.stringify(state))
    const before = await outside()
    for (const args of [['--frozen', '--json'], ['--json']]) {
      const result = await depResolve(ws, box.env, args)
      expect(result.exitCode, result.stdout).toBe(8)
      expect(json<ErrorDoc>(result).error.message).toContain(`${taskservs} is a symbolic link: refusing to install or remove extensions through it`)
      expect(await outside()).toEqual(before)
    }
  })

  it('a lockfile that is a link to /dev/zero or a FIFO is a configuration error (exit 3) at once', async () => {
    const ws = await newWorkspace()
    await declare(ws, {registry: registry.host}, {taskservs: ['redis']})
    await symlink('/dev/zero', lockPath(ws))
    const started = Date.now()
    const linked = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(linked.exitCode, linked.stdout).toBe(3)
    expect(json<ErrorDoc>(linked).error.message).toMatch(/provisioning\.lock is not a valid lockfile: not a regular file/)
    await rm(lockPath(ws))
    execFileSync('mkfifo', [lockPath(ws)])
    const fifo = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(fifo.exitCode, fifo.stdout).toBe(3)
    expect(Date.now() - started).toBeLessThan(30_000)
  })

  describe('a local source: the lock pins the content', () => {
    it('an edited file of a locked extension: --frozen exit 10 and the old files stay; a plain run installs the new content', async () => {
      const source = path.join(wsRoot, 'source1')
      const extDir = path.join(source, 'taskservs', 'app')
      await writeExtension(extDir, {name: 'app', version: '1.0.0'}, {'scripts/run.sh': 'echo one\n'})
      const ws = await newWorkspace()
      await declare(ws, {local: source}, {taskservs: ['app']})
      const first = await depResolve(ws, box.env, ['--json'])
      expect(first.exitCode, first.stderr).toBe(0)
      const lock = (await readLock(ws)) as string
      const installed = path.join(ws, 'extensions', 'taskservs', 'app', 'scripts', 'run.sh')

      await writeFile(path.join(extDir, 'scripts', 'run.sh'), 'echo two\n')
      // A fresh clone of the workspace (nothing installed yet) is where CI meets an edited source.
      const clone = path.join(wsRoot, `clone${++counter}`)
      await cp(ws, clone, {recursive: true})
      await rm(path.join(clone, 'extensions'), {recursive: true, force: true})
      for (const target of [ws, clone]) {
        const wsBefore = await readTree(target)
        const frozen = await depResolve(target, box.env, ['--frozen', '--json'])
        expect(frozen.exitCode, frozen.stdout).toBe(10)
        expect(json<ErrorDoc>(frozen).error.message).toMatch(
          /app@1\.0\.0: the folder .*taskservs\/app changed since it was locked \(locked sha256:[0-9a-f]{64}, now sha256:[0-9a-f]{64}\)/,
        )
        expect(await readTree(target)).toEqual(wsBefore)
      }
      expect(await readFile(installed, 'utf8')).toBe('echo one\n')

      const plain = await depResolve(ws, box.env, ['--json'])
      expect(plain.exitCode, plain.stderr).toBe(0)
      expect(json<ResolveDoc>(plain)).toMatchObject({installed: ['app'], lockWritten: true})
      expect(await readFile(installed, 'utf8')).toBe('echo two\n')
      expect(await readLock(ws)).not.toBe(lock)
    })

    it('a settled folder verified once is remembered, and an edit that keeps its size and modification time still stops --frozen (exit 10)', async () => {
      const source = path.join(wsRoot, 'source3')
      const extDir = path.join(source, 'taskservs', 'app')
      const script = path.join(extDir, 'scripts', 'run.sh')
      await writeExtension(extDir, {name: 'app', version: '1.0.0'}, {'scripts/run.sh': 'echo one\n'})
      const ws = await newWorkspace()
      await declare(ws, {local: source}, {taskservs: ['app']})
      expect((await depResolve(ws, box.env)).exitCode).toBe(0)
      // A folder changed in the last two seconds is checked but not remembered: wait until it is settled.
      const deadline = Date.now() + 30_000
      while (!folderFingerprint(extDir)?.settled) {
        expect(Date.now()).toBeLessThan(deadline)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      const parsed = path.join(box.env.PROVISIONING_HOME as string, 'cache', 'parsed')
      const entries = async () => (await readdir(parsed)).length
      const before = await entries()
      expect((await depResolve(ws, box.env, ['--frozen'])).exitCode).toBe(0)
      const remembered = await entries()
      expect(remembered).toBeGreaterThan(before)
      expect((await depResolve(ws, box.env, ['--frozen'])).exitCode).toBe(0)
      expect(await entries()).toBe(remembered)

      // touch -r copies the times to the nanosecond (utimes from JavaScript rounds them).
      const saved = path.join(wsRoot, 'saved-times')
      await writeFile(saved, '')
      execFileSync('touch', ['-r', script, saved])
      await writeFile(script, 'echo two\n')
      execFileSync('touch', ['-r', saved, script])
      expect((await stat(script, {bigint: true})).mtimeNs).toBe((await stat(saved, {bigint: true})).mtimeNs)
      const frozen = await depResolve(ws, box.env, ['--frozen', '--json'])
      expect(frozen.exitCode, frozen.stdout).toBe(10)
      expect(json<ErrorDoc>(frozen).error.message).toMatch(/app@1\.0\.0: the folder .*taskservs\/app changed since it was locked/)
    })

    it('a locked local folder outside the source, or of another name, is refused (exit 10)', async () => {
      const source = path.join(wsRoot, 'source2')
      await writeExtension(path.join(source, 'taskservs', 'app'), {name: 'app', version: '1.0.0'})
      const ws = await newWorkspace()
      await declare(ws, {local: source}, {taskservs: ['app']})
      expect((await depResolve(ws, box.env)).exitCode).toBe(0)
      const clean = (await readLock(ws)) as string
      for (const dir of [path.join(box.root, 'victim'), path.join(source, 'taskservs', 'other'), `${source}/taskservs/app/../../../../victim`]) {
        await writeFile(lockPath(ws), clean.replace(/reference: local:.*/, `reference: local:${dir}`))
        const frozen = await depResolve(ws, box.env, ['--frozen', '--json'])
        expect([3, 10]).toContain(frozen.exitCode)
        expect(json<ErrorDoc>(frozen).error.message).toMatch(/is not app's folder in the local source|is not a reference this CLI writes/)
      }
    })
  })
})
