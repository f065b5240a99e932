import {readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {cliVersion} from '../../src/lib/deps/plan.js'
import {inputsDigest, LOCKFILE_VERSION, serializeLockfile} from '../../src/lib/deps/lockfile.js'
import {json, runCli} from '../helpers/cli.js'
import {
  bareWorkspace,
  declare,
  depResolve,
  type ErrorDoc,
  installedDirs,
  lockPath,
  publish,
  readLock,
  type ResolveDoc,
  writeExtension,
} from '../helpers/deps.js'
import {pushArtifact} from '../helpers/registry-http.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §13, resolution across repositories: two real registries and a layout store with
 * overlapping catalogs. Each artifact carries an origin.txt naming its repository, so the
 * same version in two repositories is two different digests and the installed files show
 * which one was taken.
 */
const NS = 'provisioning-extensions'
type Published = Record<string, Array<{name: string; version: string; dependencies?: Record<string, string>}>>
const CATALOG: Published = {
  // The implicit repository: the workspace's dependencies.extensions.oci.
  default: [
    {name: 'web', version: '1.0.0', dependencies: {lib: '^1'}},
    {name: 'cilium', version: '1.14.2'},
    {name: 'cilium', version: '1.15.0'},
  ],
  internal: [
    {name: 'web', version: '1.0.0', dependencies: {lib: '^1'}},
    {name: 'cilium', version: '1.14.2'},
    {name: 'cilium', version: '1.14.5'},
    // Only here: web's dependency is found in the second repository.
    {name: 'lib', version: '1.0.0'},
    {name: 'lib', version: '1.1.0'},
  ],
  store: [
    {name: 'cilium', version: '1.16.0'},
    {name: 'tool', version: '2.0.0'},
  ],
}

interface ResolveWithRepositories extends ResolveDoc {
  order: Array<ResolveDoc['order'][number] & {repository?: string; alsoIn?: string[]}>
}

describe('dep resolve across repositories', () => {
  let box: Sandbox
  let main: RegistryHandle
  let internal: RegistryHandle
  let store: string

  beforeAll(async () => {
    box = await sandbox()
    ;[main, internal] = await Promise.all([startRegistry(), startRegistry()])
    store = path.join(box.root, 'store')
    const dirsOf = async (repository: string) => {
      const dirs: string[] = []
      for (const e of CATALOG[repository]) {
        const dir = path.join(box.root, 'src', repository, e.name, e.version)
        await writeExtension(dir, {name: e.name, version: e.version, ...(e.dependencies ? {dependencies: e.dependencies} : {})}, {'origin.txt': repository})
        dirs.push(dir)
      }
      return dirs
    }
    await publish(main.host, box.env, await dirsOf('default'))
    await publish(internal.host, box.env, await dirsOf('internal'))
    // A layout repository has no namespace: each extension is the layout folder STORE/NAME.
    for (const dir of await dirsOf('store')) {
      const name = path.basename(path.dirname(dir))
      const pushed = await runCli(['oci', 'push', dir, `oci-layout://${store}/${name}`, '--json'], {env: box.env})
      expect(pushed.exitCode, pushed.stderr).toBe(0)
    }
  })
  afterAll(async () => {
    await Promise.all([main?.stop(), internal?.stop()])
    await box?.cleanup()
  })

  /** A workspace on the main registry declaring `repositories` (public ones, in its own config) and `extensions` fields. */
  async function workspace(name: string, extensions: Record<string, unknown>, repositories?: Record<string, unknown>): Promise<string> {
    const ws = await bareWorkspace(box.root, name)
    await writeWorkspaceConfig(ws, extensions, repositories)
    return ws
  }
  async function writeWorkspaceConfig(ws: string, extensions: Record<string, unknown>, repositories?: Record<string, unknown>) {
    const config = {
      workspace: {name: path.basename(ws)},
      repositories: repositories ?? {
        internal: {url: `oci://${internal.host}/${NS}`, priority: 10, description: 'the team registry'},
        store: {url: `oci-layout://${store}`, priority: 50},
      },
      dependencies: {extensions: {source_type: 'oci', oci: {registry: main.host, namespace: NS, tls_enabled: false}, ...extensions}},
    }
    await writeFile(path.join(ws, 'config', 'provisioning.yaml'), YAML.stringify(config))
  }
  const origin = async (ws: string, name: string) => readFile(path.join((await installedDirs(ws))[`taskservs/${name}`], 'origin.txt'), 'utf8')

  const MODULES = {taskservs: ['web', {name: 'cilium', version: '^1.14', repository: 'internal'}, 'tool']}

  it('resolves each name from the most preferred repository holding it, a pinned module from its repository only, and locks repositories and references', async () => {
    const ws = await workspace('union', {repositories: ['default', 'internal', 'store'], modules: MODULES})
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const doc = json<ResolveWithRepositories>(result)
    const chosen = Object.fromEntries(doc.order.map((e) => [e.name, [e.version, e.repository, e.alsoIn ?? []]]))
    expect(chosen).toEqual({
      // Pinned to internal: 1.14.5, although default offers 1.15.0 and the store 1.16.0.
      cilium: ['1.14.5', 'internal', []],
      // In default and internal: default (priority 0) supplies it; internal is recorded, not used.
      web: ['1.0.0', 'default', ['internal']],
      // Only in internal, reached through web.
      lib: ['1.1.0', 'internal', []],
      tool: ['2.0.0', 'store', []],
    })
    for (const [name, repository] of [
      ['cilium', 'internal'],
      ['web', 'default'],
      ['lib', 'internal'],
      ['tool', 'store'],
    ])
      expect(await origin(ws, name)).toBe(repository)

    const lock = YAML.parse((await readLock(ws)) as string) as {extensions: Array<Record<string, string>>}
    const locked = Object.fromEntries(lock.extensions.map((e) => [e.name, [e.repository, e.reference]]))
    expect(locked).toEqual({
      cilium: ['internal', `${internal.host}/${NS}/cilium:1.14.5`],
      lib: ['internal', `${internal.host}/${NS}/lib:1.1.0`],
      tool: ['store', `oci-layout://${store}/tool:2.0.0`],
      // The implicit repository is not written.
      web: [undefined, `${main.host}/${NS}/web:1.0.0`],
    })
    for (const e of doc.order) expect(e.digest).toBe(lock.extensions.find((l) => l.name === e.name)?.digest)

    // Following the lock asks no registry, so only a fresh resolution knows who else holds a version.
    const text = await runCli(['dep', 'resolve', '--dry-run'], {env: box.env, cwd: ws})
    expect(text.exitCode, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/REPOSITORY\s+STATE\n1\s+cilium\s+1\.14\.5\s+taskserv\s+internal\s+planned/)
    expect(text.stdout).toMatch(/web\s+1\.0\.0\s+taskserv\s+default\s+planned/)

    const tree = await runCli(['dep', 'tree', '--json'], {env: box.env, cwd: ws})
    expect(tree.exitCode, tree.stderr).toBe(0)
    const treeDoc = json<{source: string; extensions: Array<{name: string; repository?: string}>}>(tree)
    expect(treeDoc.source).toBe('lockfile')
    expect(Object.fromEntries(treeDoc.extensions.map((e) => [e.name, e.repository]))).toEqual({
      cilium: 'internal',
      lib: 'internal',
      tool: 'store',
      web: 'default',
    })
    const treeText = await runCli(['dep', 'tree'], {env: box.env, cwd: ws})
    expect(treeText.stdout).toContain('cilium@1.14.5 (taskserv, internal)')
    expect(treeText.stdout).toContain('lib@1.1.0 (internal)')
    const why = await runCli(['dep', 'why', 'lib'], {env: box.env, cwd: ws})
    expect(why.exitCode, why.stderr).toBe(0)
    expect(why.stdout).toContain('lib@1.1.0 (taskserv) from repository internal')

    // Offline, each repository answers from its own tag index: lib, absent from default when it
    // was listed, stays absent there instead of being a cache miss; the lock comes out the same.
    const offline = await workspace('union-offline', {repositories: ['default', 'internal', 'store'], modules: MODULES})
    const cached = await depResolve(offline, box.env, ['--offline', '--json'])
    expect(cached.exitCode, cached.stderr).toBe(0)
    expect(json<ResolveWithRepositories>(cached).order).toEqual(doc.order)
  })

  it('--frozen passes on an unchanged workspace and fails (exit 10, nothing written) after the pin changes or a repository leaves the list', async () => {
    const ws = await workspace('frozen', {repositories: ['default', 'internal', 'store'], modules: MODULES})
    const first = await depResolve(ws, box.env)
    expect(first.exitCode, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/web\s+1\.0\.0\s+taskserv\s+default \(also in internal\)\s+installed/)
    const lock = await readLock(ws)
    const frozen = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(frozen.exitCode, frozen.stderr).toBe(0)
    expect(json<ResolveDoc>(frozen).followedLock).toBe(true)

    // cilium pinned to the store now.
    await writeWorkspaceConfig(ws, {
      repositories: ['default', 'internal', 'store'],
      modules: {taskservs: ['web', {name: 'cilium', version: '^1.14', repository: 'store'}, 'tool']},
    })
    const repinned = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(repinned.exitCode, repinned.stdout).toBe(10)
    const repinnedError = json<ErrorDoc>(repinned).error
    expect(repinnedError.message).toContain('cilium@1.14.5: locked from repository internal, but the declaration now pins cilium to repository store')
    expect(await readLock(ws)).toBe(lock)

    // internal leaves the list: cilium's pin still names it, lib was found there.
    await writeWorkspaceConfig(ws, {repositories: ['default', 'store'], modules: MODULES})
    const removed = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(removed.exitCode, removed.stdout).toBe(10)
    const removedError = json<ErrorDoc>(removed).error
    expect(removedError.message).toContain('lib@1.1.0: locked from repository internal, but the declaration now looks for lib in repositories default, store')
    expect(removedError.message).not.toContain('cilium@')
    expect(removedError.details.repositories).toHaveLength(1)
    expect(await readLock(ws)).toBe(lock)
  })

  it('a lock pointing at a host no declared repository has is refused (exit 10), and a bad repository name is a damaged lock (exit 3)', async () => {
    const ws = await workspace('hostile', {repositories: ['default', 'internal', 'store'], modules: MODULES})
    expect((await depResolve(ws, box.env)).exitCode).toBe(0)
    const lock = (await readLock(ws)) as string
    const elsewhere = lock.replace(`${internal.host}/${NS}/lib:1.1.0`, `evil.example/${NS}/lib:1.1.0`)
    await writeFile(lockPath(ws), elsewhere)
    const moved = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(moved.exitCode, moved.stdout).toBe(10)
    expect(json<ErrorDoc>(moved).error.message).toContain(
      `lib@1.1.0: reference evil.example/${NS}/lib:1.1.0 is not in ${internal.host}/${NS}/lib, where repository internal holds lib`,
    )
    await writeFile(lockPath(ws), lock.replace('repository: internal', 'repository: ../../internal'))
    const bad = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(bad.exitCode, bad.stdout).toBe(3)
    expect(json<ErrorDoc>(bad).error.message).toContain('.repository (cilium) "../../internal" is not a repository name')
  })

  it('a higher version in a less-preferred repository is not taken (dependency confusion); a pin takes it', async () => {
    // cilium: default 1.14.2, 1.15.0; internal 1.14.5; store 1.16.0. Unpinned, default supplies it.
    const ws = await workspace('per-name', {repositories: ['default', 'internal', 'store'], modules: {taskservs: ['cilium']}})
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const [cilium] = json<ResolveWithRepositories>(result).order
    expect([cilium.version, cilium.repository, cilium.alsoIn]).toEqual(['1.15.0', 'default', ['internal', 'store']])
    expect(await origin(ws, 'cilium')).toBe('default')

    await writeWorkspaceConfig(ws, {repositories: ['default', 'internal', 'store'], modules: {taskservs: [{name: 'cilium', repository: 'store'}]}})
    const pinned = await depResolve(ws, box.env, ['--json'])
    expect(pinned.exitCode, pinned.stderr).toBe(0)
    expect(json<ResolveWithRepositories>(pinned).order.map((e) => [e.name, e.version, e.repository])).toEqual([['cilium', '1.16.0', 'store']])
    expect(await origin(ws, 'cilium')).toBe('store')
  })

  describe('a repository that cannot be read', () => {
    let down: RegistryHandle
    let hostile: RegistryHandle
    beforeAll(async () => {
      ;[down, hostile] = await Promise.all([startRegistry(), startRegistry()])
      await down.stop()
      // A cilium whose published metadata is refused (exit 8): it depends on itself (oci push refuses to publish that).
      const config = {name: 'cilium', type: 'taskserv', version: '1.99.0', dependencies: {cilium: '*'}}
      await pushArtifact(hostile.url, `${NS}/cilium`, '1.99.0', {
        config,
        configMediaType: 'application/vnd.provisioning.extension.config.v1+json',
        artifactType: 'application/vnd.provisioning.extension.v1',
        layer: [{name: 'manifest.yaml', content: YAML.stringify(config)}],
      })
    })
    afterAll(() => hostile?.stop())

    const repositories = (priorities: {down: number; hostile: number}) => ({
      internal: {url: `oci://${internal.host}/${NS}`, priority: 10},
      store: {url: `oci-layout://${store}`, priority: 50},
      down: {url: `oci://${down.host}/${NS}`, priority: priorities.down},
      hostile: {url: `oci://${hostile.host}/${NS}`, priority: priorities.hostile},
    })

    it('less preferred than the repository supplying the name: dropped with a warning naming it and the error', async () => {
      const ws = await workspace(
        'down-after',
        {repositories: ['default', 'internal', 'store', 'down', 'hostile'], modules: {taskservs: ['cilium', 'tool']}},
        repositories({down: 300, hostile: 200}),
      )
      const result = await depResolve(ws, box.env, ['--json'])
      expect(result.exitCode, result.stdout + result.stderr).toBe(0)
      const doc = json<ResolveWithRepositories>(result)
      expect(doc.order.map((e) => [e.name, e.version, e.repository])).toEqual([
        ['cilium', '1.15.0', 'default'],
        ['tool', '2.0.0', 'store'],
      ])
      // By name, each name's in preference order (hostile 200, then down 300).
      const dropped = doc.warnings.filter((w) => w.includes('could not be read'))
      expect(dropped).toHaveLength(3)
      expect(dropped[1]).toMatch(/^cilium: repository down could not be read \(.+\); ignored it, since default is preferred and supplies cilium$/s)
      expect(dropped[0]).toMatch(/^cilium: repository hostile could not be read \(.*invalid extension metadata.*\); ignored it, since default is preferred/s)
      expect(dropped[2]).toMatch(/^tool: repository down could not be read \(.+\); ignored it, since store is preferred and supplies tool$/s)
    })

    it('more preferred than a repository holding the name: the run fails with its exit code instead of switching repositories', async () => {
      const ws = await workspace(
        'down-before',
        {repositories: ['default', 'internal', 'store', 'down'], modules: {taskservs: ['tool']}},
        repositories({down: 20, hostile: 200}),
      )
      const result = await depResolve(ws, box.env, ['--json'])
      expect(result.exitCode, result.stdout).toBe(6)
      const {error} = json<ErrorDoc>(result)
      expect(error.message).toMatch(/^tool: repository down could not be read, and it is preferred to store, which holds tool: /)
      expect(error.details).toMatchObject({name: 'tool', failedRepository: 'down', holder: 'store'})
      expect(await readLock(ws)).toBeUndefined()

      // Refused metadata in the preferred repository (internal supplies cilium otherwise): exit 8, not internal's versions.
      await writeWorkspaceConfig(ws, {repositories: ['internal', 'hostile'], modules: {taskservs: ['cilium']}}, repositories({down: 300, hostile: 5}))
      const refused = await depResolve(ws, box.env, ['--json'])
      expect(refused.exitCode, refused.stdout).toBe(8)
      expect(json<ErrorDoc>(refused).error.message).toContain(
        'cilium: repository hostile could not be read, and it is preferred to internal, which holds cilium',
      )
      expect(await readLock(ws)).toBeUndefined()
    })
  })

  it('a lock edited to take a name from a less-preferred repository is followed as it is, and re-resolved to the preferred one by dep update', async () => {
    const ws = await workspace('moved', {repositories: ['default', 'internal'], modules: {taskservs: ['web']}})
    expect((await depResolve(ws, box.env)).exitCode).toBe(0)
    // internal's own web (and its lib), as a lockfile-only change would point to them.
    const other = await workspace('moved-source', {repositories: ['default', 'internal'], modules: {taskservs: [{name: 'web', repository: 'internal'}]}})
    expect((await depResolve(other, box.env)).exitCode).toBe(0)
    const lockText = (await readLock(ws)) as string
    const theirs = YAML.parse((await readLock(other)) as string) as {extensions: Array<Record<string, string>>}
    const ours = YAML.parse(lockText) as {extensions: Array<Record<string, unknown>>}
    const web = theirs.extensions.find((e) => e.name === 'web') as Record<string, string>
    ours.extensions = ours.extensions.map((e) => (e.name === 'web' ? {...e, repository: 'internal', reference: web.reference, digest: web.digest} : e))
    await writeFile(lockPath(ws), YAML.stringify(ours))

    // Following an unchanged lock asks no registry, so it cannot tell who holds web now.
    const followed = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(followed.exitCode, followed.stdout).toBe(0)
    expect(json<ResolveDoc>(followed).followedLock).toBe(true)

    const updated = await runCli(['dep', 'update', '--json'], {env: box.env, cwd: ws})
    expect(updated.exitCode, updated.stdout + updated.stderr).toBe(0)
    const doc = json<ResolveWithRepositories & {changes: Array<{name: string; change: string; repository?: {from: string; to: string}}>}>(updated)
    expect(doc.changes.find((c) => c.name === 'web')).toMatchObject({change: 'kept', repository: {from: 'internal', to: 'default'}})
    expect(doc.warnings).toContain(
      'web: the lock takes it from repository internal, but default is preferred and holds web: re-resolved from default (a name comes from the most preferred repository holding it; pin it to use another)',
    )
    const relocked = YAML.parse((await readLock(ws)) as string) as {extensions: Array<Record<string, string>>}
    expect(relocked.extensions.find((e) => e.name === 'web')).toMatchObject({reference: `${main.host}/${NS}/web:1.0.0`})
    expect(relocked.extensions.find((e) => e.name === 'web')).not.toHaveProperty('repository')
    expect(await origin(ws, 'web')).toBe('default')
  })

  it('a failure names the repository supplying the name and the others holding it; a pin on a name its repository lacks says so', async () => {
    const ws = await workspace('unsatisfiable', {repositories: ['default', 'internal'], modules: {taskservs: [{name: 'cilium', version: '>=1.17'}]}})
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stdout).toBe(5)
    const {error} = json<ErrorDoc>(result)
    expect(error.message).toContain('no version of cilium satisfies every constraint')
    expect(error.message).toContain(
      '  from default: 1.14.2, 1.15.0 (the most preferred repository holding cilium supplies all its versions)\n' +
        '  also in internal: 1.14.2, 1.14.5, not used: default is preferred (pin cilium to repository internal to use it)',
    )
    expect(error.details.availableIn).toEqual([
      {repository: 'default', versions: ['1.14.2', '1.15.0'], used: true},
      {repository: 'internal', versions: ['1.14.2', '1.14.5'], used: false},
    ])

    await writeWorkspaceConfig(ws, {modules: {taskservs: [{name: 'tool', repository: 'internal'}]}})
    const missing = await depResolve(ws, box.env, ['--json'])
    expect(missing.exitCode, missing.stdout).toBe(5)
    expect(json<ErrorDoc>(missing).error.message).toContain(`no extension named "tool" exists in repository internal (looked for ${internal.host}/${NS}/tool)`)
    expect(await readLock(ws)).toBeUndefined()
  })

  it('an undeclared or hidden repository is exit 3 naming the key, before any registry is asked', async () => {
    const ws = await workspace('undeclared', {repositories: ['default', 'nowhere'], modules: {taskservs: ['web']}})
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stdout).toBe(3)
    expect(json<ErrorDoc>(result).error.message).toContain('dependencies.extensions.repositories[1]: no repository named nowhere is declared')
    expect(await readLock(ws)).toBeUndefined()
    expect(await installedDirs(ws)).toEqual({})

    // The user's selector shows only env=prod repositories: the workspace's staging one is hidden from them.
    const userConfig = path.join(box.env.PROVISIONING_HOME, 'config.user.toml')
    await writeFile(userConfig, 'repository_selector = "env=prod"\n')
    try {
      await writeWorkspaceConfig(
        ws,
        {repositories: ['default', 'staging'], modules: {taskservs: ['web']}},
        {staging: {url: `oci://${internal.host}/${NS}`, labels: {env: 'staging'}}},
      )
      const hidden = await depResolve(ws, box.env, ['--json'])
      expect(hidden.exitCode, hidden.stdout).toBe(3)
      expect(json<ErrorDoc>(hidden).error.message).toContain(
        'dependencies.extensions.repositories[1]: repository staging is hidden by your repository_selector "env=prod"',
      )
      expect(await readLock(ws)).toBeUndefined()
    } finally {
      await rm(userConfig, {force: true})
    }
  })

  it('migration: a single-registry workspace resolves to the lock it always did (no repository field, same references and digests)', async () => {
    const ws = await bareWorkspace(box.root, 'single')
    await declare(ws, {registry: main.host, namespace: NS}, {taskservs: [{name: 'cilium', version: '^1.14'}]})
    // Repositories declared but not named by the declaration change nothing.
    const file = path.join(ws, 'config', 'provisioning.yaml')
    const config = YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    await writeFile(file, YAML.stringify({...config, repositories: {internal: {url: `oci://${internal.host}/${NS}`, priority: 0}}}))
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const [cilium] = json<ResolveWithRepositories>(result).order
    expect(cilium).not.toHaveProperty('repository')
    expect(cilium.reference).toBe(`${main.host}/${NS}/cilium:1.15.0`)

    // The lock as the code before repositories wrote it: its inputs digest over source, core and modules only.
    const source = {kind: 'oci', registry: main.host, namespace: NS, tlsEnabled: false}
    const modules = [{name: 'cilium', type: 'taskserv', range: '^1.14', reference: null}]
    const expected = await serializeLockfile({
      lockfile_version: LOCKFILE_VERSION,
      inputs_digest: inputsDigest({source, core: cliVersion(), modules}),
      core_version: cliVersion(),
      declared: {cilium: '^1.14'},
      extensions: [{name: 'cilium', type: 'taskserv', version: '1.15.0', reference: cilium.reference, digest: cilium.digest, dependencies: {}, optional: {}}],
    })
    const written = (await readLock(ws)) as string
    expect(written).toBe(expected)
    expect(written).not.toContain('repository:')
    const frozen = await depResolve(ws, box.env, ['--frozen', '--json'])
    expect(frozen.exitCode, frozen.stderr).toBe(0)
    expect(json<ResolveDoc>(frozen).followedLock).toBe(true)
  })
})
