import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {artifactLocator, formatPlace} from '../../../src/lib/deps/artifact-location.js'
import {type Declaration, parseDeclaration} from '../../../src/lib/deps/declaration.js'
import {lockChanges, movedReason} from '../../../src/lib/deps/lock-changes.js'
import {lockContractProblems} from '../../../src/lib/deps/lock-contract.js'
import {LOCKFILE_VERSION, type LockedExtension, type Lockfile, readLockfile, serializeLockfile, writeLockfile} from '../../../src/lib/deps/lockfile.js'
import {uniteOffers, versionsByRepository} from '../../../src/lib/deps/repository-union.js'
import {resolve} from '../../../src/lib/deps/resolver.js'
import {openWorkspaceDependencies} from '../../../src/lib/deps/workspace-dependencies.js'
import {Session} from '../../../src/lib/session/session.js'
import {bareWorkspace} from '../../helpers/deps.js'
import {candidate} from './example-catalog.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const offer = (source: string, versions: string[], name = 'cilium', dependencies: Record<string, string> = {}) => ({
  source,
  found: versions.map((v) => ({candidate: candidate(name, v, {dependencies}), record: `${source}/${name}:${v}`})),
})

describe('the per-name rule across repositories (SPEC §13)', () => {
  it('the most preferred repository holding a name supplies all its versions; the others are recorded, not used', () => {
    const offers = [offer('internal', ['1.14.2', '1.14.0']), offer('default', ['1.99.0', '1.14.2']), offer('extra', ['1.14.2'])]
    const united = uniteOffers(offers)
    // 1.99.0 in a less-preferred repository is not a version of cilium for this workspace.
    expect([...united.keys()].sort()).toEqual(['1.14.0', '1.14.2'])
    expect(united.get('1.14.2')).toMatchObject({candidate: {repository: 'internal'}, record: 'internal/cilium:1.14.2', alsoIn: ['default', 'extra']})
    expect(united.get('1.14.0')).toMatchObject({candidate: {repository: 'internal'}, alsoIn: ['default', 'extra']})
    expect(versionsByRepository(offers)).toEqual([
      {repository: 'internal', versions: ['1.14.0', '1.14.2'], used: true},
      {repository: 'default', versions: ['1.14.2', '1.99.0'], used: false},
      {repository: 'extra', versions: ['1.14.2'], used: false},
    ])
  })

  it('a preferred repository without the name (or without a semver version of it) passes it to the next one', () => {
    const united = uniteOffers([offer('internal', []), offer('default', ['1.15.0']), offer('extra', [])])
    expect(united.get('1.15.0')).toMatchObject({candidate: {repository: 'default'}, alsoIn: []})
    expect(versionsByRepository([offer('internal', []), offer('default', ['1.15.0'])])).toEqual([{repository: 'default', versions: ['1.15.0'], used: true}])
    expect(uniteOffers([offer('internal', [])]).size).toBe(0)
  })

  it("without repository names the versions are the single source's, unmarked", () => {
    const united = uniteOffers([{found: [{candidate: candidate('redis', '7.2.0'), record: 'r'}]}])
    expect(united.get('7.2.0')?.candidate).toEqual(candidate('redis', '7.2.0'))
  })

  const catalogOf = (byName: Map<string, ReturnType<typeof uniteOffers<string>>>) => ({
    versions: (name: string) => [...(byName.get(name)?.values() ?? [])].map((v) => v.candidate),
  })

  it('the resolver never takes a higher version from a less-preferred repository; a pin (its repository alone) does', () => {
    const app = uniteOffers([offer('b', ['1.0.0'], 'app', {lib: '*'})])
    const unpinned = new Map([
      ['app', app],
      ['lib', uniteOffers([offer('a', ['1.0.0'], 'lib'), offer('b', ['1.0.0', '2.0.0'], 'lib')])],
    ])
    const resolution = resolve({roots: [{name: 'app', range: '*', source: 'test'}], catalog: catalogOf(unpinned), coreVersion: '1.0.0'})
    expect(resolution.selected.get('lib')).toMatchObject({version: '1.0.0', repository: 'a'})
    expect(resolution.selected.get('app')).toMatchObject({version: '1.0.0', repository: 'b'})
    expect(unpinned.get('lib')?.get('1.0.0')).toMatchObject({candidate: {repository: 'a'}, alsoIn: ['b']})
    // A pin makes its repository the only place: the locator gives one offer.
    const pinned = new Map([
      ['app', app],
      ['lib', uniteOffers([offer('b', ['1.0.0', '2.0.0'], 'lib')])],
    ])
    const chosen = resolve({roots: [{name: 'app', range: '*', source: 'test'}], catalog: catalogOf(pinned), coreVersion: '1.0.0'})
    expect(chosen.selected.get('lib')).toMatchObject({version: '2.0.0', repository: 'b'})
  })

  it('"no version satisfies" says which repository supplied the name, which others hold it, and that a pin uses them', () => {
    const offers = [offer('internal', ['1.14.2']), offer('public', ['1.99.0'])]
    const united = uniteOffers(offers)
    const catalog = {
      versions: (name: string) => (name === 'cilium' ? [...united.values()].map((v) => v.candidate) : undefined),
      offers: () => versionsByRepository(offers),
    }
    let error: (Error & {exit: number; hint: string; details: Record<string, unknown>}) | undefined
    try {
      resolve({roots: [{name: 'cilium', range: '>=1.50', source: 'test'}], catalog, coreVersion: '1.0.0'})
    } catch (caught) {
      error = caught as typeof error
    }
    expect(error?.exit).toBe(5)
    expect(error?.message).toContain('  from internal: 1.14.2 (the most preferred repository holding cilium supplies all its versions)')
    expect(error?.message).toContain('  also in public: 1.99.0, not used: internal is preferred (pin cilium to repository public to use it)')
    expect(error?.hint).toContain('pin it ({name: cilium, repository: NAME})')
    expect(error?.details.availableIn).toEqual([
      {repository: 'internal', versions: ['1.14.2'], used: true},
      {repository: 'public', versions: ['1.99.0'], used: false},
    ])
  })
})

describe('dependencies.extensions.repositories and pins in the declaration', () => {
  const defaults = {registry: 'localhost:5000', namespace: 'provisioning-extensions'}
  const declare = (text: string) => parseDeclaration(parse(text) as Record<string, unknown>, {workspacePath: '/ws', defaults})
  const problems = (text: string) => {
    try {
      declare(text)
    } catch (error) {
      expect((error as {exit: number}).exit).toBe(3)
      return (error as {details: {problems: string[]}}).details.problems
    }
    throw new Error('expected a failure')
  }

  it('reads the list and a table-form pin; without either, the declaration is what it was', () => {
    const d = declare(`
dependencies:
  extensions:
    repositories: [default, internal]
    modules:
      taskservs: [{name: cilium, version: ^1.14, repository: internal}, redis]
`)
    expect(d.repositories).toEqual(['default', 'internal'])
    expect(d.modules.map((m) => [m.name, m.repository])).toEqual([
      ['cilium', 'internal'],
      ['redis', undefined],
    ])
    const plain = declare('dependencies: {extensions: {modules: {taskservs: [redis]}}}')
    expect('repositories' in plain).toBe(false)
    expect('repository' in plain.modules[0]).toBe(false)
  })

  it('refuses bad names, duplicates, an empty list, a non-list, and repositories with a local source, naming each key', () => {
    expect(problems('dependencies: {extensions: {repositories: [default, "Bad.Name", default, 7]}}')).toEqual([
      'dependencies.extensions.repositories[1]: "Bad.Name" is not a repository name (lower-case letters, digits, "-", "_")',
      'dependencies.extensions.repositories[2]: default is listed twice',
      'dependencies.extensions.repositories[3]: 7 is not a repository name (lower-case letters, digits, "-", "_")',
    ])
    expect(problems('dependencies: {extensions: {repositories: []}}')[0]).toContain('is empty')
    expect(problems('dependencies: {extensions: {repositories: internal}}')[0]).toContain('must be a list')
    expect(problems(`dependencies: {extensions: {repositories: [${Array.from({length: 65}, (_, i) => `r${i}`).join(',')}]}}`)[0]).toContain('at most 64')
    expect(problems('dependencies: {extensions: {modules: {taskservs: [{name: cilium, repository: "../x"}]}}}')[0]).toContain('"repository" of cilium')
    const local = problems(`
dependencies:
  extensions:
    source_type: local
    local: {path: ./src}
    repositories: [internal]
    modules: {taskservs: [{name: cilium, repository: internal}]}
`)
    expect(local).toHaveLength(2)
    expect(local[0]).toContain('repositories serve only source_type: oci')
    expect(local[1]).toContain('pins repository internal')
  })
})

describe('binding the declaration to declared, visible repositories', () => {
  let dir: string
  let home: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'repo-bind-'))
    home = path.join(dir, 'home')
    await mkdir(home, {recursive: true})
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  const workspace = async (extensions: Record<string, unknown>, repositories: Record<string, unknown>) => {
    const ws = await bareWorkspace(dir, 'ws')
    const file = path.join(ws, 'config', 'provisioning.yaml')
    const config = parse(await readFile(file, 'utf8')) as Record<string, unknown>
    await writeFile(
      file,
      JSON.stringify({
        ...config,
        repositories,
        dependencies: {extensions: {source_type: 'oci', oci: {registry: 'main.example:5000', namespace: 'ext'}, ...extensions}},
      }),
    )
    return ws
  }
  const open = (ws: string) => openWorkspaceDependencies({config: new Session({env: {PROVISIONING_HOME: home, HOME: dir}, cwd: ws, workspace: ws}).config})
  const failure = async (ws: string) => {
    try {
      await open(ws)
    } catch (error) {
      return error as Error & {exit: number}
    }
    throw new Error('expected a failure')
  }

  it('searches by priority, ties by name, and a pin looks only in its repository', async () => {
    const ws = await workspace(
      {repositories: ['zeta', 'alpha', 'default'], modules: {taskservs: [{name: 'cilium', repository: 'pinned'}, 'redis']}},
      {
        zeta: {url: 'oci://zeta.example/z', priority: 10},
        alpha: {url: 'oci://alpha.example/a', priority: 10},
        pinned: {url: `oci-layout://${path.join(dir, 'store')}`, priority: 500},
      },
    )
    const {declaration} = await open(ws)
    expect(declaration.sources?.searched.map((r) => r.name)).toEqual(['default', 'alpha', 'zeta'])
    const locate = artifactLocator({source: {registry: 'main.example:5000', namespace: 'ext'}, roots: declaration.modules, sources: declaration.sources}, ws)
    expect(locate('redis').map((p) => [p.source, formatPlace(p)])).toEqual([
      ['default', 'main.example:5000/ext/redis'],
      ['alpha', 'alpha.example/a/redis'],
      ['zeta', 'zeta.example/z/redis'],
    ])
    expect(locate('cilium').map((p) => [p.source, formatPlace(p)])).toEqual([['pinned', `oci-layout://${path.join(dir, 'store')}/cilium`]])
  })

  it('an undeclared repository is exit 3 naming the key; nothing is bound', async () => {
    const ws = await workspace({repositories: ['default', 'nowhere'], modules: {taskservs: [{name: 'cilium', repository: 'ghost'}]}}, {})
    const error = await failure(ws)
    expect(error.exit).toBe(3)
    expect(error.message).toContain('dependencies.extensions.repositories[1]: no repository named nowhere is declared')
    expect(error.message).toContain('dependencies.extensions.modules.taskservs[0].repository: no repository named ghost is declared')
  })

  it("a repository hidden by the user's repository_selector is exit 3 saying how to change it", async () => {
    await writeFile(path.join(home, 'config.user.toml'), 'repository_selector = "env=prod"\n')
    const ws = await workspace({repositories: ['default', 'staging']}, {staging: {url: 'oci://staging.example/s', labels: {env: 'staging'}}})
    const error = await failure(ws)
    expect(error.exit).toBe(3)
    expect(error.message).toContain('repository staging is hidden by your repository_selector "env=prod"')
    expect(error.message).toContain('config.user.toml')
  })
})

describe('the lock records repositories', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'repo-lock-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  const entry = (name: string, extra: Partial<LockedExtension> = {}): LockedExtension => ({
    name,
    type: 'taskserv',
    version: '1.0.0',
    reference: `main.example:5000/ext/${name}:1.0.0`,
    digest: DIGEST,
    dependencies: {},
    optional: {},
    ...extra,
  })
  const lockOf = (...extensions: LockedExtension[]): Lockfile => ({
    lockfile_version: LOCKFILE_VERSION,
    inputs_digest: DIGEST,
    core_version: '1.0.0',
    extensions,
  })

  it('writes repository only when it is not the implicit one, and reads it back', async () => {
    const file = path.join(dir, 'provisioning.lock')
    const lock = lockOf(entry('a'), entry('b', {repository: 'internal', reference: 'internal.example/team/b:1.0.0'}))
    await writeLockfile(file, lock)
    const text = await readFile(file, 'utf8')
    expect(text.match(/repository:/g)).toHaveLength(1)
    expect(text).toContain('    repository: internal\n    reference: internal.example/team/b:1.0.0')
    expect(await readLockfile(file)).toEqual(lock)
    expect(await serializeLockfile(lockOf(entry('a')))).not.toContain('repository')
  })

  it.each([
    ['a path', '../../etc'],
    ['upper case', 'Internal'],
    ['a number', 7],
    ['a table', {name: 'internal'}],
    ['the implicit name, which is never written', 'default'],
    ['an empty string', ''],
  ])('refuses a repository field that is %s (exit 3, as a malformed reference is)', async (_what, value) => {
    const file = path.join(dir, 'provisioning.lock')
    await writeLockfile(file, lockOf(entry('a')))
    const text = (await readFile(file, 'utf8')).replace('    reference:', `    repository: ${JSON.stringify(value)}\n    reference:`)
    await writeFile(file, text)
    await expect(readLockfile(file)).rejects.toMatchObject({exit: 3, message: expect.stringContaining('extensions[0].repository (a)')})
  })

  const declared = (modules: Declaration['modules'], repositories: Array<{name: string; host: string; implicit?: boolean}>): Declaration => {
    const named = new Map(
      repositories.map((r, i) => [
        r.name,
        {
          name: r.name,
          url: `oci://${r.host}/team`,
          location: {kind: 'remote' as const, host: r.host},
          namespace: 'team',
          labels: {},
          visibility: 'public' as const,
          mode: 'ro' as const,
          priority: r.implicit ? 0 : i + 1,
          implicit: Boolean(r.implicit),
          declaredIn: 'test',
          layer: 'workspace' as const,
        },
      ]),
    )
    return {source: {kind: 'oci', registry: 'main.example:5000', namespace: 'ext'}, modules, sources: {searched: [...named.values()], named}}
  }
  const module = (name: string, repository?: string): Declaration['modules'][number] => ({
    name,
    type: 'taskserv',
    range: '*',
    declaredAt: `modules.taskservs[${name}]`,
    ...(repository ? {repository} : {}),
  })

  it('the contract: the locked repository must still be where resolution looks, and the reference inside it', () => {
    const repositories = [
      {name: 'default', host: 'main.example:5000', implicit: true},
      {name: 'internal', host: 'internal.example'},
    ]
    const lock = lockOf(
      entry('a'),
      entry('b', {repository: 'internal', reference: 'internal.example/team/b:1.0.0'}),
      entry('c', {repository: 'removed', reference: 'internal.example/team/c:1.0.0'}),
      entry('d', {repository: 'internal', reference: 'evil.example/team/d:1.0.0'}),
      entry('e', {repository: 'internal', reference: 'internal.example/team/e:1.0.0'}),
    )
    const {problems, moved} = lockContractProblems(
      lock,
      declared([module('a'), module('b'), module('c'), module('d'), module('e', 'default')], repositories),
      '/',
    )
    expect(problems).toEqual([
      'c@1.0.0: locked from repository removed, but the declaration now looks for c in repositories default, internal (dependencies.extensions.repositories)',
      'd@1.0.0: reference evil.example/team/d:1.0.0 is not in internal.example/team/d, where repository internal holds d',
      'e@1.0.0: locked from repository internal, but the declaration now pins e to repository default (modules.taskservs[e])',
    ])
    expect(moved).toEqual(problems)
    // A lock naming a repository for a workspace that names none.
    expect(
      lockContractProblems(
        lockOf(entry('b', {repository: 'internal'})),
        {source: {kind: 'oci', registry: 'main.example:5000', namespace: 'ext'}, modules: [module('b')]},
        '/',
      ).problems,
    ).toEqual(['b@1.0.0: locked from repository internal, but the declaration names no repositories (it resolves from dependencies.extensions.oci)'])
  })

  it('a lock naming a less-preferred repository for a name passes the contract (following asks no registry); a fresh resolution reports the move', () => {
    const repositories = [
      {name: 'default', host: 'main.example:5000', implicit: true},
      {name: 'internal', host: 'internal.example'},
    ]
    // A lockfile-only change handing a to internal, which is searched but less preferred than default.
    const lock = lockOf(entry('a', {repository: 'internal', reference: 'internal.example/team/a:1.0.0'}))
    expect(lockContractProblems(lock, declared([module('a')], repositories), '/').problems).toEqual([])
    // Re-resolved (a changed declaration, dep update), default supplies a again: the change says so.
    const moved = {from: 'internal', to: 'default'}
    expect(lockChanges(lock, [entry('a')])).toEqual([
      {name: 'a', type: 'taskserv', change: 'kept', from: '1.0.0', to: '1.0.0', repository: moved, reason: movedReason('a', moved)},
    ])
    expect(movedReason('a', moved)).toBe(
      'locked from repository internal, now from default: a is taken from its pinned repository, else from the most preferred repository holding it',
    )
    expect(lockChanges(lock, [entry('a', {version: '2.0.0', repository: undefined})])[0]).toMatchObject({change: 'upgraded', repository: moved})
    expect(lockChanges(lock, [entry('a', {repository: 'internal'})])[0]).not.toHaveProperty('repository')
  })
})
