import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {formatProblem} from '../../../src/lib/config/loader.js'
import {showConfig} from '../../../src/lib/config/query.js'
import {parseConfigText, prepareLineLookups} from '../../../src/lib/config/source-file.js'
import {Session} from '../../../src/lib/session/session.js'
import {templatePath} from '../../../src/lib/util/package-root.js'
import {makeSandbox, type Sandbox} from './helpers.js'

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox()
})
afterEach(async () => {
  await sb.cleanup()
})

describe('line lookup', () => {
  it('finds the 1-based line of TOML keys in tables, dotted keys and inline tables', async () => {
    await prepareLineLookups()
    const text = [
      '# comment', //                        1
      'oci.registry = "dotted"', //          2
      'vars = { a = 1, b = { c = 2 } }', //  3
      '', //                                 4
      '[locking]', //                        5
      'provider = "file"', //                6
      '', //                                 7
      '[locking.etcd]', //                   8
      '# the prefix', //                     9
      'prefix = "/p"', //                   10
    ].join('\n')
    const source = await parseConfigText(text, '/x/config.toml')
    expect(source.lineOf('oci.registry')).toBe(2)
    expect(source.lineOf('vars.a')).toBe(3)
    expect(source.lineOf('vars.b.c')).toBe(3)
    expect(source.lineOf('locking.provider')).toBe(6)
    expect(source.lineOf('locking.etcd.prefix')).toBe(10)
    expect(source.lineOf('locking.etcd')).toBe(8)
    expect(source.lineOf('nope')).toBeUndefined()
  })

  it('gives an array of tables the line of its first [[header]]', async () => {
    await prepareLineLookups()
    const text = '[vars]\nregion = "eu"\n\n[[vars.servers]]\nhost = "a"\n\n[[vars.servers]]\nhost = "b"\n'
    const source = await parseConfigText(text, '/x/config.toml')
    expect(source.data.vars).toEqual({region: 'eu', servers: [{host: 'a'}, {host: 'b'}]})
    expect(source.lineOf('vars.servers')).toBe(4)
    expect(source.lineOf('vars')).toBe(1)
  })

  it('finds the 1-based line of nested YAML keys', async () => {
    const text = 'workspace:\n  name: demo\n\noci:\n  cache:\n    # where\n    dir: /c\nvars:\n  list:\n    - a\n'
    const source = await parseConfigText(text, '/x/provisioning.yaml')
    expect(source.lineOf('workspace.name')).toBe(2)
    expect(source.lineOf('oci.cache.dir')).toBe(7)
    expect(source.lineOf('vars.list')).toBe(9)
  })

  it('finds YAML list items: block and flow lists, lists in lists', async () => {
    const text = [
      'dependencies:', //                                     1
      '  extensions:', //                                     2
      '    modules:', //                                      3
      '      providers: ["aws:2.0.0", local]', //             4
      '      taskservs:', //                                  5
      '        # a comment before the first item', //         6
      '        - "oci://reg.example/ext/kubernetes:1.28.0"', // 7
      '', //                                                  8
      '        - {name: cilium, version: "^1.14"}', //        9
      '        - name: redis', //                            10
      '          version: "7.x"', //                         11
      '      clusters:', //                                  12
      '        [', //                                        13
      '          buildkit,', //                              14
      '          "k8s-basic:1.0.0"', //                      15
      '        ]', //                                        16
      'matrix:', //                                          17
      '  - [a, b]', //                                       18
      '  -', //                                              19
      '    - c', //                                          20
      '    - [d,', //                                        21
      '       e]', //                                        22
    ].join('\n')
    const source = await parseConfigText(text, '/x/provisioning.yaml')
    const at = 'dependencies.extensions.modules'
    expect(source.lineOf(`${at}.providers`)).toBe(4)
    expect(source.lineOf(`${at}.providers[0]`)).toBe(4)
    expect(source.lineOf(`${at}.providers[1]`)).toBe(4)
    expect(source.lineOf(`${at}.taskservs`)).toBe(5)
    expect(source.lineOf(`${at}.taskservs[0]`)).toBe(7)
    expect(source.lineOf(`${at}.taskservs[1]`)).toBe(9)
    expect(source.lineOf(`${at}.taskservs[2]`)).toBe(10)
    // Keys inside list items are not recorded (they would double a cached lockfile entry).
    expect(source.lineOf(`${at}.taskservs[2].version`)).toBeUndefined()
    expect(source.lineOf(`${at}.taskservs[3]`)).toBeUndefined()
    expect(source.lineOf(`${at}.clusters[0]`)).toBe(14)
    expect(source.lineOf(`${at}.clusters[1]`)).toBe(15)
    expect(source.lineOf('matrix[0]')).toBe(18)
    expect(source.lineOf('matrix[0][1]')).toBe(18)
    expect(source.lineOf('matrix[1]')).toBe(20)
    expect(source.lineOf('matrix[1][0]')).toBe(20)
    expect(source.lineOf('matrix[1][1]')).toBe(21)
    expect(source.lineOf('matrix[1][1][1]')).toBe(22)
  })

  it('finds TOML array items: inline arrays, arrays in arrays, arrays of tables', async () => {
    const text = [
      '[dependencies.extensions.modules]', //  1
      'providers = ["aws:2.0.0"]', //           2
      'taskservs = [', //                       3
      '  "kubernetes:1.28.0",', //              4
      '  # cilium next', //                     5
      '  {name = "cilium", version = "^1.14"},', // 6
      '  [ "a",', //                            7
      '    "b" ],', //                          8
      ']', //                                   9
      '', //                                   10
      '[[dependencies.extensions.modules.clusters]]', // 11
      'name = "buildkit"', //                  12
      '', //                                   13
      '[[dependencies.extensions.modules.clusters]]', // 14
      'name = "k8s-basic"', //                 15
    ].join('\n')
    await prepareLineLookups()
    const source = await parseConfigText(text, '/x/config.toml')
    const at = 'dependencies.extensions.modules'
    expect(source.lineOf(`${at}.providers`)).toBe(2)
    expect(source.lineOf(`${at}.providers[0]`)).toBe(2)
    expect(source.lineOf(`${at}.taskservs`)).toBe(3)
    expect(source.lineOf(`${at}.taskservs[0]`)).toBe(4)
    expect(source.lineOf(`${at}.taskservs[1]`)).toBe(6)
    expect(source.lineOf(`${at}.taskservs[1].version`)).toBe(6)
    expect(source.lineOf(`${at}.taskservs[2]`)).toBe(7)
    expect(source.lineOf(`${at}.taskservs[2][1]`)).toBe(8)
    expect(source.lineOf(`${at}.clusters`)).toBe(11)
    expect(source.lineOf(`${at}.clusters[0]`)).toBe(11)
    expect(source.lineOf(`${at}.clusters[0].name`)).toBe(12)
    expect(source.lineOf(`${at}.clusters[1]`)).toBe(14)
    expect(source.lineOf(`${at}.clusters[1].name`)).toBe(15)
  })

  it('a TOML lookup made before the line parser is loaded does not spoil later lookups', async () => {
    vi.resetModules()
    const fresh = await import('../../../src/lib/config/source-file.js')
    const source = await fresh.parseConfigText('[oci]\nregistry = "r"\n', '/x/config.toml')
    expect(source.lineOf('oci.registry')).toBeUndefined()
    await fresh.prepareLineLookups()
    expect(source.lineOf('oci.registry')).toBe(2)
  })
})

describe('origins in loadConfig', () => {
  it('records file and line for every layer with `lines: true`, and the source for runtime values', async () => {
    const wsMode = await sb.write('ws/config/modes/solo.yaml', '# solo override\noci:\n  namespace: team\n')
    const infra = await sb.write('ws/infra/prod/config.toml', '\n\n[vars]\nregion = "eu"\n')
    const loaded = await sb.load({infra: 'prod', lines: true, env: {...sb.env, PROVISIONING_VARS__REGION: 'us'}})
    expect(loaded.origins.get('oci.namespace')?.at(-1)).toEqual({layer: 'mode', file: wsMode, line: 3, value: 'team'})
    expect(loaded.origins.get('vars.region')).toEqual([
      {layer: 'infrastructure', file: infra, line: 4, value: 'eu'},
      {layer: 'runtime', source: 'PROVISIONING_VARS__REGION', value: 'us'},
    ])
    const modeName = loaded.origins.get('mode.name')?.[0]
    expect(modeName).toMatchObject({layer: 'mode', file: templatePath('modes', 'solo.yaml')})
    expect(modeName?.line).toBeGreaterThan(0)
  })
})

describe('showConfig with origin', () => {
  async function writeStack() {
    return {
      user: await sb.write('home/config.user.toml', '[oci]\nregistry = "user.example"\n'),
      workspace: await sb.write('ws/config/provisioning.yaml', 'workspace:\n  name: demo\noci:\n  registry: ws.example\n'),
      environment: await sb.write('ws/config/dev-defaults.toml', '\n[oci]\nregistry = "env.example"\n'),
      infra: await sb.write('ws/infra/prod/config.toml', '[oci]\n\nregistry = "infra.example"\n'),
    }
  }

  it('shows one key with the layer, file:line that set it and what it overrode, most recent first', async () => {
    const files = await writeStack()
    const result = await showConfig(
      new Session({env: sb.env, cwd: sb.outside, workspace: sb.ws, envName: 'dev', infra: 'prod'}).loadConfig,
      'oci.registry',
      true,
    )
    expect(result).toMatchObject({
      key: 'oci.registry',
      value: 'infra.example',
      mode: 'solo',
      environment: 'dev',
      infra: 'prod',
      workspace: {name: 'ws', path: sb.ws},
    })
    expect(result.origins).toHaveLength(1)
    const [origin] = result.origins ?? []
    expect(origin).toMatchObject({key: 'oci.registry', value: 'infra.example', layer: 'infrastructure', file: files.infra, line: 3})
    expect(origin.overridden).toEqual([
      {layer: 'environment', file: files.environment, line: 3, value: 'env.example'},
      {layer: 'workspace', file: files.workspace, line: 4, value: 'ws.example'},
      {layer: 'user', file: files.user, line: 2, value: 'user.example'},
      {layer: 'defaults', file: templatePath('config.defaults.toml'), line: expect.any(Number), value: 'localhost:{{platform.services.oci-registry.port}}'},
    ])
  })

  it('shows every leaf of a subtree with its origin', async () => {
    await writeStack()
    const result = await showConfig(new Session({env: sb.env, cwd: sb.outside, workspace: sb.ws, sets: ['oci.retries=7']}).loadConfig, 'oci', true)
    expect(result.value).toMatchObject({registry: 'ws.example', retries: 7, cache: {dir: expect.any(String)}})
    const byKey = Object.fromEntries((result.origins ?? []).map((o) => [o.key, o]))
    expect(byKey['oci.registry'].layer).toBe('workspace')
    expect(byKey['oci.retries']).toMatchObject({layer: 'runtime', source: '--set oci.retries', value: 7})
    expect(byKey['oci.cache.dir']).toMatchObject({layer: 'defaults', overridden: []})
    expect(byKey['oci.tls_enabled'].layer).toBe('mode')
    expect(Object.keys(byKey)).toContain('oci.cache.index_ttl_seconds')
  })

  it('shows the whole config without origins by default', async () => {
    const result = await showConfig(new Session({env: sb.env, cwd: sb.outside}).loadConfig)
    expect(result.key).toBeUndefined()
    expect(result.origins).toBeUndefined()
    expect(result.value).toMatchObject({oci: {registry: 'localhost:5000'}, mode: {name: 'solo'}})
    expect(result.workspace).toBeUndefined()
  })
})

describe('formatProblem', () => {
  it('prefixes file, line and column unless the message already starts with the file', () => {
    expect(formatProblem({severity: 'error', message: 'k: bad', file: '/f.toml', line: 3, column: 2})).toBe('/f.toml:3:2: k: bad')
    expect(formatProblem({severity: 'error', message: 'k: bad', file: '/f.toml', line: 3})).toBe('/f.toml:3: k: bad')
    expect(formatProblem({severity: 'error', message: '/f.toml:1:1: syntax error', file: '/f.toml', line: 1, column: 1})).toBe('/f.toml:1:1: syntax error')
    expect(formatProblem({severity: 'warning', message: 'no file'})).toBe('no file')
  })
})
