import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {parseDeclaration, rootRequirements} from '../../../src/lib/deps/declaration.js'
import {openWorkspaceDependencies} from '../../../src/lib/deps/workspace-dependencies.js'
import {inputsDigest, LOCKFILE_VERSION, type Lockfile, readLockfile, serializeLockfile, writeLockfile} from '../../../src/lib/deps/lockfile.js'
import {Session} from '../../../src/lib/session/session.js'
import {bareWorkspace, declare as declareIn} from '../../helpers/deps.js'

const defaults = {registry: 'localhost:5000', namespace: 'provisioning-extensions'}
const declare = (yamlText: string) => parseDeclaration(parse(yamlText) as Record<string, unknown>, {workspacePath: '/ws', defaults})
const failure = (yamlText: string) => {
  try {
    declare(yamlText)
  } catch (error) {
    return error as Error & {exit: number; details: {problems: string[]}}
  }
  throw new Error('expected a failure')
}

describe('dependency declaration (SPEC §9.1)', () => {
  it('reads references, range forms, core and the OCI source', () => {
    const d = declare(`
dependencies:
  core: {source: "oci://harbor.company.com/provisioning-core:v3.5.0"}
  extensions:
    source_type: oci
    oci: {registry: "reg.example:5000", namespace: "ext", tls_enabled: false}
    modules:
      providers: ["oci://reg.example:5000/ext/aws:2.0.0"]
      taskservs:
        - "oci://reg.example:5000/ext/kubernetes:v1.28.0"
        - {name: cilium, version: "^1.14"}
        - redis
      clusters: ["buildkit:0.12.0"]
`)
    expect(d.core).toEqual({source: 'oci://harbor.company.com/provisioning-core:v3.5.0', version: '3.5.0'})
    expect(d.source).toEqual({kind: 'oci', registry: 'reg.example:5000', namespace: 'ext', tlsEnabled: false})
    expect(d.modules.map((m) => [m.name, m.type, m.range])).toEqual([
      ['aws', 'provider', '2.0.0'],
      ['kubernetes', 'taskserv', '1.28.0'],
      ['cilium', 'taskserv', '^1.14'],
      ['redis', 'taskserv', '*'],
      ['buildkit', 'cluster', '0.12.0'],
    ])
    expect(d.modules[0].reference?.location).toEqual({kind: 'remote', host: 'reg.example:5000'})
    expect(d.modules[2].declaredAt).toBe('dependencies.extensions.modules.taskservs[1]')
  })

  it('defaults to oci with the configured registry, and supports local sources', () => {
    expect(declare('dependencies: {}').source).toEqual({kind: 'oci', ...defaults})
    expect(declare('dependencies: {extensions: {source_type: local, local: {path: ./extensions-src}}}').source).toEqual({
      kind: 'local',
      path: '/ws/extensions-src',
    })
  })

  it('refuses gitea with a clear "not supported yet"', () => {
    const error = failure('dependencies: {extensions: {source_type: gitea}}')
    expect(error.exit).toBe(3)
    expect(error.message).toContain('not supported yet')
  })

  it('reports every problem at once', () => {
    const error = failure(`
dependencies:
  extensions:
    modules:
      taskservs:
        - {name: cilium, version: "^^1"}
        - "Bad Name:1.0"
        - "redis:latest"
        - 42
        - "keydb:6.3.4"
      clusters: ["keydb:6.3.4"]
      widgets: []
`)
    expect(error.exit).toBe(3)
    expect(error.details.problems).toHaveLength(6)
    expect(error.message).toContain('taskservs[0]')
    expect(error.message).toContain('not a valid semver range')
    expect(error.message).toContain('not a semver version')
    expect(error.message).toContain('already declared')
    expect(error.message).toContain('unknown module group')
  })
})

describe('lockfile (SPEC §9.3)', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lock-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  const digest = (c: string) => `sha256:${c.repeat(64)}`
  const lock: Lockfile = {
    lockfile_version: LOCKFILE_VERSION,
    inputs_digest: inputsDigest({modules: ['b', 'a']}),
    core_version: '0.1.0',
    extensions: [
      {name: 'redis', type: 'taskserv', version: '7.2.0', reference: 'r/redis:7.2.0', digest: digest('a'), dependencies: {os: '1.0.0'}, optional: {}},
      {name: 'os', type: 'taskserv', version: '1.0.0', reference: 'r/os:1.0.0', digest: digest('b'), dependencies: {}, optional: {}},
    ],
  }

  it('is deterministic: sorted, no timestamps, identical bytes for identical content', async () => {
    const a = await serializeLockfile(lock)
    const b = await serializeLockfile({...lock, extensions: [...lock.extensions].reverse()})
    expect(a).toBe(b)
    expect(a.indexOf('name: os')).toBeLessThan(a.indexOf('name: redis'))
    expect(a).not.toMatch(/\d{4}-\d{2}-\d{2}T/)
    expect(inputsDigest({x: 1, y: [2]})).toBe(inputsDigest({y: [2], x: 1}))
  })

  it('round-trips, and a hand-edited lockfile is a clear configuration error', async () => {
    const file = path.join(dir, 'provisioning.lock')
    await writeLockfile(file, lock)
    expect(await readLockfile(file)).toEqual({...lock, extensions: [...lock.extensions].sort((x, y) => x.name.localeCompare(y.name))})
    expect(await readLockfile(path.join(dir, 'missing.lock'))).toBeUndefined()
    for (const broken of [
      'nonsense: [',
      'lockfile_version: 99',
      'lockfile_version: 1\ninputs_digest: x',
      `lockfile_version: 1\ninputs_digest: ${digest('c')}\ncore_version: 0.1.0\nextensions:\n  - {name: a, type: taskserv, version: 1.0.0, reference: r, digest: ${digest('d')}, dependencies: {ghost: 1.0.0}}`,
    ]) {
      await writeFile(file, broken)
      await expect(readLockfile(file)).rejects.toMatchObject({exit: 3})
    }
  })
})

describe('where each declared module is declared (roots for the resolver)', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'decl-at-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))
  const open = (ws: string, extra: {sets?: string[]} = {}) =>
    openWorkspaceDependencies({config: new Session({env: {PROVISIONING_HOME: path.join(dir, 'home'), HOME: dir}, cwd: ws, workspace: ws, ...extra}).config})
  /** The 1-based line of the first line of `text` containing `needle`. */
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((line) => line.includes(needle)) + 1

  it('gives every root config/provisioning.yaml:N, N the line of its list item (as the e2e helpers write it)', async () => {
    const ws = await bareWorkspace(dir, 'ws')
    await declareIn(
      ws,
      {local: './src'},
      {
        providers: ['aws:2.0.0'],
        taskservs: ['kubernetes:1.28.0', {name: 'cilium', version: '^1.14'}, 'containerd'],
        clusters: ['k8s-basic'],
      },
    )
    const text = await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')
    const expected = {aws: 'aws:2.0.0', kubernetes: 'kubernetes:1.28.0', cilium: 'name: cilium', containerd: 'containerd', 'k8s-basic': 'k8s-basic'}
    // Each on its own line, after its list's key, so a fallback to the key's line would show.
    for (const needle of Object.values(expected)) expect(lineOf(text, needle)).toBeGreaterThan(0)
    expect(lineOf(text, 'kubernetes')).toBeGreaterThan(lineOf(text, 'taskservs:'))

    const context = await open(ws)
    const roots = await rootRequirements(context.declaration)
    expect(roots.map((r) => [r.name, r.location])).toEqual(
      Object.entries(expected).map(([name, needle]) => [name, `config/provisioning.yaml:${lineOf(text, needle)}`]),
    )
    expect(roots.find((r) => r.name === 'cilium')).toEqual({
      name: 'cilium',
      range: '^1.14',
      source: 'dependencies.extensions.modules.taskservs[1]',
      location: `config/provisioning.yaml:${lineOf(text, 'name: cilium')}`,
    })
  })

  it('a hand-written file with block and flow lists; a list from --set names the flag', async () => {
    const ws = await bareWorkspace(dir, 'ws')
    await writeFile(
      path.join(ws, 'config', 'provisioning.yaml'),
      [
        'workspace: {name: ws}', //                          1
        'dependencies:', //                                  2
        '  extensions:', //                                  3
        '    source_type: local', //                         4
        '    local: {path: ./src}', //                       5
        '    modules:', //                                   6
        '      providers: [aws, local]', //                  7
        '      taskservs:', //                               8
        '', //                                               9
        '        - etcd', //                                10
        '        - name: redis', //                         11
        '          version: "7.x"', //                      12
        '      clusters: [', //                             13
        '        k8s-basic', //                             14
        '      ]', //                                       15
        '',
      ].join('\n'),
    )
    const roots = await rootRequirements((await open(ws)).declaration)
    expect(Object.fromEntries(roots.map((r) => [r.name, r.location]))).toEqual({
      aws: 'config/provisioning.yaml:7',
      local: 'config/provisioning.yaml:7',
      etcd: 'config/provisioning.yaml:10',
      redis: 'config/provisioning.yaml:11',
      'k8s-basic': 'config/provisioning.yaml:14',
    })
    const set = await rootRequirements((await open(ws, {sets: ['dependencies.extensions.modules.taskservs=["postgres"]']})).declaration)
    expect(Object.fromEntries(set.map((r) => [r.name, r.location]))).toMatchObject({
      aws: 'config/provisioning.yaml:7',
      postgres: '--set dependencies.extensions.modules.taskservs',
    })
  })

  it('a declaration parsed from bare values has no location', async () => {
    const roots = await rootRequirements(declare('dependencies: {extensions: {modules: {taskservs: [etcd]}}}'))
    expect(roots).toEqual([{name: 'etcd', range: '*', source: 'dependencies.extensions.modules.taskservs[0]'}])
  })
})
