import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {getPath, leaves, mergeLayer, type OriginMap, tableFromPath} from '../../../src/lib/config/merge.js'
import type {ConfigTable} from '../../../src/lib/config/types.js'
import {makeSandbox, type Sandbox} from './helpers.js'

describe('mergeLayer', () => {
  const merge = (target: ConfigTable, origins: OriginMap, layer: 'user' | 'workspace', data: ConfigTable) =>
    mergeLayer(target, data, () => ({layer, file: `${layer}.file`}), origins)

  it('merges tables key by key and records one history entry per written leaf', () => {
    const target: ConfigTable = {}
    const origins: OriginMap = new Map()
    merge(target, origins, 'user', {oci: {registry: 'a', concurrency: 2, cache: {dir: '/c'}}})
    merge(target, origins, 'workspace', {oci: {registry: 'b', cache: {index_ttl_seconds: 5}}})
    expect(target).toEqual({oci: {registry: 'b', concurrency: 2, cache: {dir: '/c', index_ttl_seconds: 5}}})
    expect(origins.get('oci.registry')).toEqual([
      {layer: 'user', file: 'user.file', value: 'a'},
      {layer: 'workspace', file: 'workspace.file', value: 'b'},
    ])
    expect(origins.get('oci.concurrency')).toEqual([{layer: 'user', file: 'user.file', value: 2}])
    expect(origins.get('oci.cache.index_ttl_seconds')).toEqual([{layer: 'workspace', file: 'workspace.file', value: 5}])
    expect(origins.has('oci')).toBe(false)
  })

  it('replaces arrays instead of concatenating them', () => {
    const target: ConfigTable = {}
    const origins: OriginMap = new Map()
    merge(target, origins, 'user', {list: [1, 2, 3]})
    merge(target, origins, 'workspace', {list: [9]})
    expect(target.list).toEqual([9])
    expect(origins.get('list')?.map((o) => o.value)).toEqual([[1, 2, 3], [9]])
  })

  it('replaces a scalar with a table, dropping the scalar history', () => {
    const target: ConfigTable = {}
    const origins: OriginMap = new Map()
    merge(target, origins, 'user', {x: 'scalar'})
    merge(target, origins, 'workspace', {x: {y: 1}})
    expect(target.x).toEqual({y: 1})
    expect(origins.has('x')).toBe(false)
    expect(origins.get('x.y')).toEqual([{layer: 'workspace', file: 'workspace.file', value: 1}])
  })

  it('replaces a table with a scalar, dropping the history of the whole subtree', () => {
    const target: ConfigTable = {}
    const origins: OriginMap = new Map()
    merge(target, origins, 'user', {t: {a: 1, deep: {b: 2}}, tt: {keep: true}})
    merge(target, origins, 'workspace', {t: 5})
    expect(target).toEqual({t: 5, tt: {keep: true}})
    expect([...origins.keys()].sort()).toEqual(['t', 'tt.keep'])
    expect(origins.get('t')).toEqual([{layer: 'workspace', file: 'workspace.file', value: 5}])
  })

  it('copies incoming values, so later edits of a layer never leak into the merged config', () => {
    const target: ConfigTable = {}
    const origins: OriginMap = new Map()
    const layer = {list: ['a'], t: {n: 1}}
    merge(target, origins, 'user', layer)
    layer.list.push('b')
    layer.t.n = 2
    expect(target).toEqual({list: ['a'], t: {n: 1}})
    ;(target.list as string[]).push('c')
    expect(origins.get('list')?.[0].value).toEqual(['a'])
  })

  it('keeps Date values (TOML datetimes) as dates', () => {
    const target: ConfigTable = {}
    const when = new Date('2024-05-06T07:08:09Z')
    merge(target, new Map(), 'user', {when})
    expect(target.when).toBeInstanceOf(Date)
    expect((target.when as Date).toISOString()).toBe('2024-05-06T07:08:09.000Z')
  })
})

describe('getPath, tableFromPath, leaves', () => {
  const table = {a: {b: {c: 1}, list: [1, 2]}, s: 'x'}

  it('reads dotted paths and gives undefined for any missing step', () => {
    expect(getPath(table, 'a.b.c')).toBe(1)
    expect(getPath(table, 'a.b')).toEqual({c: 1})
    expect(getPath(table, '')).toBe(table)
    expect(getPath(table, 'a.nope.c')).toBeUndefined()
    expect(getPath(table, 's.length')).toBeUndefined()
    expect(getPath(table, 'a.list.0')).toBeUndefined()
  })

  it('builds a nested table from a key path', () => {
    expect(tableFromPath(['a', 'b', 'c'], 5)).toEqual({a: {b: {c: 5}}})
    expect(tableFromPath(['k'], 'v')).toEqual({k: 'v'})
  })

  it('lists every leaf with its key path, arrays as leaves', () => {
    expect([...leaves(table)]).toEqual([
      ['a.b.c', 1],
      ['a.list', [1, 2]],
      ['s', 'x'],
    ])
    expect([...leaves({b: {c: 1}}, 'a')]).toEqual([['a.b.c', 1]])
  })
})

describe('merge rules through loadConfig', () => {
  let sb: Sandbox
  beforeEach(async () => {
    sb = await makeSandbox()
  })
  afterEach(async () => {
    await sb.cleanup()
  })

  it('keeps default keys of a table when a layer sets one of its keys', async () => {
    await sb.write('home/config.user.toml', '[oci]\nregistry = "r.example"\n')
    const {values} = await sb.load()
    expect(values.oci).toMatchObject({registry: 'r.example', namespace: 'provisioning-extensions', concurrency: 4, cache: {index_ttl_seconds: 300}})
  })

  it('replaces arrays and scalars across files', async () => {
    await sb.write('home/config.user.toml', '[locking.etcd]\nendpoints = ["http://a:2379", "http://b:2379"]\n[oci]\nconcurrency = 8\n')
    await sb.write('ws/config/provisioning.yaml', 'locking:\n  etcd:\n    endpoints: ["http://c:2379"]\noci:\n  concurrency: 2\n')
    const {values, origins} = await sb.load()
    expect(getPath(values, 'locking.etcd.endpoints')).toEqual(['http://c:2379'])
    expect(getPath(values, 'locking.etcd.prefix')).toBe('/provisioning/locks')
    expect(getPath(values, 'oci.concurrency')).toBe(2)
    expect(origins.get('locking.etcd.endpoints')?.map((o) => o.value)).toEqual([[], ['http://a:2379', 'http://b:2379'], ['http://c:2379']])
  })

  it('lets a later file replace a scalar with a table and a table with a scalar', async () => {
    await sb.write('home/config.user.toml', '[vars]\nx = "scalar"\n[vars.t]\na = 1\nb = 2\n')
    await sb.write('ws/config/provisioning.yaml', 'vars:\n  x:\n    y: 1\n  t: 5\n')
    const {values, origins} = await sb.load()
    expect(values.vars).toEqual({x: {y: 1}, t: 5})
    expect(origins.has('vars.x')).toBe(false)
    expect(origins.get('vars.x.y')?.map((o) => o.layer)).toEqual(['workspace'])
    expect(origins.has('vars.t.a')).toBe(false)
    expect(origins.get('vars.t')?.map((o) => o.layer)).toEqual(['workspace'])
  })

  it('lets --set turn a scalar into a table', async () => {
    await sb.write('home/config.user.toml', '[vars]\nx = "scalar"\n')
    const {values, origins} = await sb.load({sets: ['vars.x.y=1']})
    expect(values.vars).toEqual({x: {y: 1}})
    expect(origins.get('vars.x.y')).toEqual([{layer: 'runtime', source: '--set vars.x.y', value: 1}])
  })
})

describe('hostile keys', () => {
  let sb: Sandbox
  beforeEach(async () => {
    sb = await makeSandbox()
  })
  afterEach(async () => {
    await sb.cleanup()
  })

  it('never lets a __proto__ key of a config file pollute Object.prototype', async () => {
    await sb.write('home/config.user.toml', '[__proto__]\npolluted_by_toml = "yes"\n')
    await sb.write('ws/config/provisioning.yaml', '__proto__:\n  polluted_by_yaml: yes\nvars:\n  __proto__:\n    nested_pollution: yes\n')
    const {values} = await sb.load({tolerant: true})
    const probe = {} as Record<string, unknown>
    expect(probe.polluted_by_toml).toBeUndefined()
    expect(probe.polluted_by_yaml).toBeUndefined()
    expect(probe.nested_pollution).toBeUndefined()
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype)
  })

  it('reads only own keys, never inherited ones', () => {
    expect(getPath({}, 'constructor')).toBeUndefined()
    expect(getPath({a: {}}, 'a.toString')).toBeUndefined()
    expect(getPath({a: {}}, '__proto__')).toBeUndefined()
  })
})
