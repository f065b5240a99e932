import {execFileSync} from 'node:child_process'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {interpolate, MAX_INTERPOLATED_TOTAL_CHARS, MAX_INTERPOLATED_VALUE_CHARS, MAX_REFERENCE_DEPTH, needsGit} from '../../../src/lib/config/interpolate.js'
import {selectAndLoadConfig as loadConfig} from '../../../src/lib/session/select-config.js'
import {getPath, type OriginMap} from '../../../src/lib/config/merge.js'
import {ConfigError} from '../../../src/lib/errors.js'
import {expectProvisioningError, makeSandbox, type Sandbox} from './helpers.js'

const FIXED = new Date('2024-03-05T06:07:08.123Z')
const now = () => FIXED

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox()
})
afterEach(async () => {
  await sb.cleanup()
})

const vars = (values: Record<string, unknown>) => values.vars as Record<string, unknown>

/** All rotations of a cycle `a -> b -> a`, since the detection may start at any member. */
function rotations(members: string[]): string[] {
  return members.map((_, i) => [...members.slice(i), ...members.slice(0, i), members[i]].join(' -> '))
}

describe('key references', () => {
  it('resolves {{paths.base}} and chains through several keys', async () => {
    const {values} = await sb.load()
    expect(getPath(values, 'paths.base')).toBe(sb.home)
    expect(getPath(values, 'paths.cache')).toBe(path.join(sb.home, 'cache'))
    // oci.cache.dir -> paths.cache -> paths.base
    expect(getPath(values, 'oci.cache.dir')).toBe(path.join(sb.home, 'cache', 'oci'))
  })

  it('resolves references recursively whatever the order of the keys', async () => {
    await sb.write('home/config.user.toml', '[vars]\na = "{{vars.b}}-a"\nb = "{{ vars.c }}-b"\nc = "{{vars.d}}-c"\nd = "d"\n')
    const {values} = await sb.load()
    expect(vars(values)).toEqual({a: 'd-c-b-a', b: 'd-c-b', c: 'd-c', d: 'd'})
  })

  it('keeps the referenced type when the whole string is one placeholder', async () => {
    await sb.write(
      'home/config.user.toml',
      [
        '[vars]',
        'n = "{{oci.concurrency}}"',
        'flag = "{{oci.tls_enabled}}"',
        'eps = "{{vars.arr}}"',
        'arr = ["a", "b"]',
        'mixed = "n={{oci.concurrency}}"',
        'joined = "eps={{vars.arr}}"',
        't = 60',
        '[oci]',
        'timeout_seconds = "{{vars.t}}"',
      ].join('\n'),
    )
    const {values, problems} = await sb.load()
    expect(vars(values)).toMatchObject({n: 4, flag: false, eps: ['a', 'b'], mixed: 'n=4', joined: 'eps=a,b'})
    // The referenced integer satisfies the schema of oci.timeout_seconds.
    expect(getPath(values, 'oci.timeout_seconds')).toBe(60)
    expect(problems).toEqual([])
  })

  it('interpolates every string of an array', async () => {
    await sb.write(
      'home/config.user.toml',
      '[vars]\nhost = "etcd.local"\n[locking.etcd]\nendpoints = ["http://{{vars.host}}:2379", "http://{{vars.host}}:2380"]\n',
    )
    const {values} = await sb.load()
    expect(getPath(values, 'locking.etcd.endpoints')).toEqual(['http://etcd.local:2379', 'http://etcd.local:2380'])
  })

  it('interpolates strings inside tables inside arrays (lists of dependency declarations)', async () => {
    await sb.write(
      'ws/config/provisioning.yaml',
      [
        'dependencies:',
        '  extensions:',
        '    modules:',
        '      taskservs:',
        '        - "oci://{{oci.registry}}/{{oci.namespace}}/kubernetes:1.28.0"',
        '        - {name: cilium, source: "oci://{{oci.registry}}/cilium", local_path: "~/src/cilium"}',
        '        - [nested, "{{oci.namespace}}"]',
      ].join('\n'),
    )
    const {values} = await sb.load()
    expect(getPath(values, 'dependencies.extensions.modules.taskservs')).toEqual([
      'oci://localhost:5000/provisioning-extensions/kubernetes:1.28.0',
      {name: 'cilium', source: 'oci://localhost:5000/cilium', local_path: path.join(os.homedir(), 'src', 'cilium')},
      ['nested', 'provisioning-extensions'],
    ])
  })

  it('reports errors inside a list of tables against the list key and its file', async () => {
    const ws = await sb.write('ws/config/provisioning.yaml', 'vars:\n  servers:\n    - host: "{{nope}}"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error.exit).toBe(3)
    expect(error.message).toContain('vars.servers')
    expect(error.message).toContain('{{nope}}')
    expect(error.message).toContain(`${ws}:2`)
  })

  it('gives the line of a TOML array of tables when one of its strings is broken', async () => {
    const user = await sb.write('home/config.user.toml', '[vars]\nok = 1\n\n[[vars.servers]]\nhost = "{{nope}}"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error.message).toContain(`${user}:4: vars.servers: unknown variable {{nope}}`)
  })

  it('does not treat inherited property names as keys', async () => {
    await sb.write('home/config.user.toml', '[vars]\nx = "{{constructor}}"\ny = "{{vars.toString}}"\n')
    const loaded = await sb.load({tolerant: true})
    expect(loaded.problems.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual([
      'vars.x: unknown variable {{constructor}}',
      'vars.y: unknown variable {{vars.toString}}',
    ])
  })

  it('interpolates runtime values too', async () => {
    const {values} = await sb.load({sets: ['vars.dir={{paths.base}}/extra']})
    expect(vars(values).dir).toBe(path.join(sb.home, 'extra'))
  })
})

describe('built-in variables', () => {
  it('reads {{env.NAME}} from the env passed to loadConfig', async () => {
    await sb.write('home/config.user.toml', '[vars]\nhome = "{{env.HOME}}"\ncustom = "x-{{env.PROV_TEST_ONLY_IN_OPTIONS}}-y"\n')
    const {values} = await sb.load({env: {...sb.env, PROV_TEST_ONLY_IN_OPTIONS: 'abc'}})
    expect(vars(values)).toEqual({home: process.env.HOME, custom: 'x-abc-y'})
  })

  it('formats {{now.date}}, {{now.iso}} and {{now.timestamp}} from the clock passed in', async () => {
    await sb.write('home/config.user.toml', '[vars]\ndate = "{{now.date}}"\niso = "{{now.iso}}"\nts = "{{now.timestamp}}"\ntag = "build-{{now.timestamp}}"\n')
    const {values} = await sb.load({now})
    expect(vars(values)).toEqual({
      date: '2024-03-05',
      iso: '2024-03-05T06:07:08.123Z',
      ts: 1_709_618_828,
      tag: 'build-1709618828',
    })
  })

  it('calls the clock only when a value references now.*', () => {
    let calls = 0
    const values = {a: 'plain', b: '{{a}}'}
    interpolate(values, new Map(), {env: {}, now: () => (calls++, FIXED)})
    expect(calls).toBe(0)
    expect(values.b).toBe('plain')
  })

  it('gives {{workspace.name}} and {{workspace.path}} of the workspace in use', async () => {
    await sb.write(
      'ws/config/provisioning.yaml',
      'workspace:\n  name: demo\n  description: "the {{workspace.name}} workspace"\nvars:\n  name: "{{workspace.name}}"\n  where: "{{workspace.path}}/infra"\n  desc: "{{workspace.description}}"\n',
    )
    const {values} = await sb.load()
    expect(vars(values)).toEqual({name: 'ws', where: path.join(sb.ws, 'infra'), desc: 'the ws workspace'})
  })

  it('uses the registered name of the workspace for {{workspace.name}}', async () => {
    await sb.write('home/config/user_config.yaml', `workspaces:\n  - name: my-demo\n    path: ${sb.ws}\n`)
    await sb.write('ws/config/provisioning.yaml', 'vars:\n  name: "{{workspace.name}}"\n')
    const {values} = await sb.load()
    expect(vars(values).name).toBe('my-demo')
  })

  it('reports {{workspace.name}} without a workspace as an error', async () => {
    const user = await sb.write('home/config.user.toml', '[vars]\nw = "{{workspace.name}}"\n')
    const error = await expectProvisioningError(() => loadConfig({env: sb.env, cwd: sb.outside}))
    expect(error.exit).toBe(3)
    expect(error.message).toContain('vars.w')
    expect(error.message).toContain('no workspace is active')
    expect(error.message).toContain(user)
  })

  describe('git', () => {
    const git = (...args: string[]) => execFileSync('git', ['-C', sb.ws, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()

    beforeEach(async () => {
      await sb.write('ws/config/provisioning.yaml', 'vars:\n  branch: "{{git.branch}}"\n  commit: "{{git.commit}}"\n  tag: "{{git.branch}}@{{now.date}}"\n')
    })

    it('gives the branch and commit of a workspace that is a git repository', async () => {
      git('init', '-q', '-b', 'feature-x')
      git('config', 'user.name', 'Config Test')
      git('config', 'user.email', 'config-test@example.com')
      git('config', 'commit.gpgsign', 'false')
      git('add', '.')
      git('commit', '-q', '-m', 'initial')
      const commit = git('rev-parse', 'HEAD')
      expect(commit).toMatch(/^[0-9a-f]{40}$/)

      const {values} = await sb.load({now})
      expect(vars(values)).toEqual({branch: 'feature-x', commit, tag: 'feature-x@2024-03-05'})

      git('checkout', '-q', '--detach')
      const detached = await sb.load({now})
      expect(vars(detached.values)).toMatchObject({branch: '', commit})
    })

    it('gives empty strings outside a git repository', async () => {
      const {values} = await sb.load({now})
      expect(vars(values)).toEqual({branch: '', commit: '', tag: '@2024-03-05'})
    })

    it('is only needed when some value references git.*', () => {
      expect(needsGit({a: 'x', b: {c: '{{paths.base}}'}})).toBe(false)
      expect(needsGit({a: {b: 'v-{{ git.commit }}'}})).toBe(true)
      expect(needsGit({a: ['x', '{{git.branch}}']})).toBe(true)
      expect(needsGit({a: [{ref: '{{git.commit}}'}]})).toBe(true)
    })
  })
})

describe('home folder expansion', () => {
  it('expands a leading ~/ in path keys only', async () => {
    await sb.write(
      'home/config.user.toml',
      [
        '[paths]',
        'workspaces = "~/my-workspaces"',
        '[oci]',
        'ca_file = "~/certs/ca.pem"',
        'auth_token_path = "~"',
        '[vars]',
        'tilde = "~"',
        'note = "~/not-a-path"',
        'other_user = "~bob/x"',
        'cache_dir = "{{vars.tilde}}/cache"',
        'copy = "{{paths.workspaces}}/one"',
      ].join('\n'),
    )
    const {values} = await sb.load()
    const home = os.homedir()
    expect(getPath(values, 'paths.workspaces')).toBe(path.join(home, 'my-workspaces'))
    expect(getPath(values, 'oci.ca_file')).toBe(path.join(home, 'certs', 'ca.pem'))
    expect(getPath(values, 'oci.auth_token_path')).toBe(home)
    expect(vars(values)).toEqual({
      tilde: '~',
      note: '~/not-a-path',
      other_user: '~bob/x',
      // `*_dir` is a path key; the ~ came from interpolation and is expanded afterwards.
      cache_dir: path.join(home, 'cache'),
      copy: path.join(home, 'my-workspaces', 'one'),
    })
  })
})

describe('interpolation errors', () => {
  it('reports a cycle as a ConfigError (exit 3) naming the chain and the file', async () => {
    const user = await sb.write('home/config.user.toml', 'a = "{{b}}"\nb = "{{a}}"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.exit).toBe(3)
    expect(error.code).toBe('E_CONFIG')
    expect(rotations(['a', 'b']).some((cycle) => error.message.includes(cycle))).toBe(true)
    expect(error.message).toContain(user)
    expect(error.hint).toMatch(/break the cycle/)
    const [problem] = error.details.problems as Array<Record<string, unknown>>
    expect(problem).toMatchObject({severity: 'error', file: user})
    expect(['a', 'b']).toContain(problem.key)
    expect(problem.line).toBe(problem.key === 'a' ? 1 : 2)
  })

  it('reports longer cycles and self references', async () => {
    const ws = await sb.write('ws/config/provisioning.yaml', 'vars:\n  a: "x{{vars.b}}"\n  b: "{{vars.c}}"\n  c: "{{vars.a}}"\n  self: "{{vars.self}}!"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error.exit).toBe(3)
    expect(rotations(['vars.a', 'vars.b', 'vars.c']).some((cycle) => error.message.includes(cycle))).toBe(true)
    expect(error.message).toContain('vars.self -> vars.self')
    expect(error.message).toContain(ws)
    expect(error.message).toMatch(/^2 configuration errors/)
  })

  it('reports an unknown variable naming the key, the file and the line', async () => {
    const user = await sb.write('home/config.user.toml', '[vars]\nok = "fine"\nx = "pre-{{nope.key}}"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.exit).toBe(3)
    expect(error.message).toContain('vars.x')
    expect(error.message).toContain('unknown variable {{nope.key}}')
    expect(error.message).toContain(`${user}:3`)
    expect(error.details.problems).toEqual([expect.objectContaining({key: 'vars.x', file: user, line: 3})])
  })

  it('reports an unset environment variable naming the key and file', async () => {
    const ws = await sb.write('ws/config/provisioning.yaml', 'vars:\n  token_file: "{{env.PROV_TEST_SURELY_UNSET}}/t"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error.exit).toBe(3)
    expect(error.message).toContain('vars.token_file')
    expect(error.message).toContain('PROV_TEST_SURELY_UNSET is not set')
    expect(error.message).toContain(`${ws}:2`)
  })

  it('rejects unknown now.*, git.* and references to tables', async () => {
    await sb.write('home/config.user.toml', '[vars]\na = "{{now.year}}"\nb = "{{git.tag}}"\nc = "{{oci}}"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error.exit).toBe(3)
    expect(error.message).toContain('{{now.year}}')
    expect(error.message).toContain('{{git.tag}}')
    expect(error.message).toContain('{{oci}} refers to a table')
    expect((error.details.problems as unknown[]).length).toBe(3)
  })

  it('names the --set flag when a runtime value is broken', async () => {
    const error = await expectProvisioningError(() => sb.load({sets: ['vars.x={{missing.key}}']}))
    expect(error.exit).toBe(3)
    expect(error.message).toContain('--set vars.x')
  })

  it('collects the problems instead of throwing with `tolerant: true`', async () => {
    const user = await sb.write(
      'home/config.user.toml',
      'a = "{{b}}"\nb = "{{a}}"\n[vars]\nx = "{{nope}}"\ny = "{{env.PROV_TEST_SURELY_UNSET}}"\nfine = "{{paths.base}}"\n',
    )
    const loaded = await sb.load({tolerant: true})
    const errors = loaded.problems.filter((p) => p.severity === 'error')
    expect(errors).toHaveLength(3)
    expect(errors.every((p) => p.file === user && typeof p.line === 'number')).toBe(true)
    expect(errors.map((p) => p.key).sort()).toEqual([expect.stringMatching(/^[ab]$/), 'vars.x', 'vars.y'])
    expect(vars(loaded.values).fine).toBe(sb.home)
    expect(getPath(loaded.values, 'oci.cache.dir')).toBe(path.join(sb.home, 'cache', 'oci'))
  })
})

describe('interpolation limits', () => {
  it('stops a long reference chain at the depth limit with one problem naming the chain', () => {
    const values: Record<string, unknown> = {}
    for (let i = 1; i < 2000; i++) values[`a${i}`] = `{{a${i + 1}}}`
    values.a2000 = 'end'
    const problems = interpolate(values, new Map(), {env: {}, now})
    expect(problems).toHaveLength(1)
    expect(problems[0].message).toMatch(
      new RegExp(`^a${MAX_REFERENCE_DEPTH + 1}: interpolation follows more than ${MAX_REFERENCE_DEPTH} references in a row \\(a1 -> a2 -> a3 -> … -> `),
    )
    // A chain of exactly the limit resolves.
    const ok: Record<string, unknown> = {}
    for (let i = 1; i <= MAX_REFERENCE_DEPTH; i++) ok[`a${i}`] = `{{a${i + 1}}}-`
    ok[`a${MAX_REFERENCE_DEPTH + 1}`] = 'end'
    expect(interpolate(ok, new Map(), {env: {}, now})).toEqual([])
    expect(ok.a1).toBe(`end${'-'.repeat(MAX_REFERENCE_DEPTH)}`)
  })

  it('stops exponential growth at the per-value size limit, before building the text', () => {
    const values: Record<string, unknown> = {a: 'xy', b1: '{{a}}{{a}}'}
    for (let i = 2; i <= 40; i++) values[`b${i}`] = `{{b${i - 1}}}{{b${i - 1}}}`
    const problems = interpolate(values, new Map(), {env: {}, now})
    expect(problems).toEqual([
      expect.objectContaining({key: 'b19', message: `b19: interpolation makes the value longer than ${MAX_INTERPOLATED_VALUE_CHARS} characters`}),
    ])
  })

  it('bounds the total of interpolated text (a large value referenced many times)', () => {
    const values: Record<string, unknown> = {big: 'x'.repeat(MAX_INTERPOLATED_VALUE_CHARS)}
    for (let i = 0; i < 100; i++) values[`copy${i}`] = '{{big}}'
    const problems = interpolate(values, new Map(), {env: {}, now})
    expect(problems).toHaveLength(1)
    expect(problems[0].message).toContain(`interpolated values together pass ${MAX_INTERPOLATED_TOTAL_CHARS} characters`)
  })
})

describe('interpolate() directly', () => {
  it('names the file of the winning assignment', () => {
    const values = {k: '{{missing}}'}
    const origins: OriginMap = new Map([
      [
        'k',
        [
          {layer: 'user', file: '/u.toml', value: 'old'},
          {layer: 'workspace', file: '/w.yaml', value: '{{missing}}'},
        ],
      ],
    ])
    const problems = interpolate(values, origins, {env: {}, now})
    expect(problems).toEqual([expect.objectContaining({severity: 'error', key: 'k', file: '/w.yaml'})])
  })

  it('leaves values without placeholders untouched', () => {
    const values = {n: 1, b: true, s: 'a { b } c', list: [1, 'x'], when: FIXED}
    expect(interpolate(values, new Map(), {env: {}, now})).toEqual([])
    expect(values).toEqual({n: 1, b: true, s: 'a { b } c', list: [1, 'x'], when: FIXED})
  })

  it('renders values under a key holding a dot (a quoted TOML key) instead of crashing', () => {
    const values: Record<string, unknown> = {base: '/srv', oci: {trust: {'harbor.example.com/team': {path: '{{base}}/keys'}}}}
    expect(interpolate(values, new Map(), {env: {}, now})).toEqual([])
    expect(values.oci).toEqual({trust: {'harbor.example.com/team': {path: '/srv/keys'}}})
  })
})
