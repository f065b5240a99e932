import {parse} from 'smol-toml'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {selectAndLoadConfig as loadConfig} from '../../../src/lib/session/select-config.js'
import {getPath} from '../../../src/lib/config/merge.js'
import {envVarKey, parseRuntimeValue, parseSetFlag, quickRuntimeValue, RESERVED_ENV} from '../../../src/lib/config/runtime-layer.js'
import {UsageError} from '../../../src/lib/errors.js'
import {expectProvisioningError, makeSandbox, type Sandbox} from './helpers.js'

describe('envVarKey', () => {
  it('maps PROVISIONING_<A>__<B> to a lower-case dotted key, keeping single underscores', () => {
    expect(envVarKey('PROVISIONING_OCI__REGISTRY')).toBe('oci.registry')
    expect(envVarKey('PROVISIONING_A__B_C')).toBe('a.b_c')
    expect(envVarKey('PROVISIONING_OCI__CACHE__INDEX_TTL_SECONDS')).toBe('oci.cache.index_ttl_seconds')
    expect(envVarKey('PROVISIONING_ENVIRONMENT')).toBe('environment')
  })

  it('ignores reserved, foreign and malformed names', () => {
    for (const name of ['PROVISIONING_HOME', 'PROVISIONING_WORKSPACE', 'PROVISIONING_ENV', 'PROVISIONING_INFRA', 'PROVISIONING_MODE']) {
      expect(RESERVED_ENV.has(name)).toBe(true)
      expect(envVarKey(name)).toBeUndefined()
    }
    expect(envVarKey('HOME')).toBeUndefined()
    expect(envVarKey('XPROVISIONING_OCI__REGISTRY')).toBeUndefined()
    expect(envVarKey('PROVISIONING_')).toBeUndefined()
    expect(envVarKey('PROVISIONING_OCI____REGISTRY')).toBeUndefined()
    expect(envVarKey('PROVISIONING_OCI__')).toBeUndefined()
    expect(envVarKey('PROVISIONING_OCI.REGISTRY')).toBeUndefined()
  })
})

describe('parseRuntimeValue', () => {
  it('parses TOML scalars and arrays where they parse, else keeps the string', () => {
    expect(parseRuntimeValue('true', parse)).toBe(true)
    expect(parseRuntimeValue('false', parse)).toBe(false)
    expect(parseRuntimeValue('5', parse)).toBe(5)
    expect(parseRuntimeValue('2.5', parse)).toBe(2.5)
    expect(parseRuntimeValue('"x"', parse)).toBe('x')
    expect(parseRuntimeValue("'lit'", parse)).toBe('lit')
    expect(parseRuntimeValue('[1,2]', parse)).toEqual([1, 2])
    expect(parseRuntimeValue('["a", "b"]', parse)).toEqual(['a', 'b'])
    expect(parseRuntimeValue('localhost:5000', parse)).toBe('localhost:5000')
    expect(parseRuntimeValue('hello world', parse)).toBe('hello world')
    expect(parseRuntimeValue('1.2.3', parse)).toBe('1.2.3')
    expect(parseRuntimeValue('', parse)).toBe('')
    expect(parseRuntimeValue('oci-layout:///tmp/store', parse)).toBe('oci-layout:///tmp/store')
  })
})

describe('quickRuntimeValue (the common values without loading smol-toml)', () => {
  const samples = [
    'true',
    'false',
    'True',
    'trueish',
    'f',
    '0',
    '-0',
    '+0',
    '5',
    '-7',
    '+3',
    '007',
    '1_000',
    '9007199254740993',
    '2.5',
    '1e3',
    'inf',
    'nan',
    '+inf',
    '-nan',
    '"x"',
    "'lit'",
    '[1,2]',
    '{a = 1}',
    'localhost:5000',
    '127.0.0.1',
    '127.0.0.1:5000',
    '10.0.0.1:80',
    '1.2.3',
    '1979-05-27',
    '07:32:00',
    '1979-05-27T07:32:00Z',
    'hello world',
    'native',
    'oci-layout:///tmp/store',
    'https://registry.example.com/v2/',
    '/abs/path',
    './rel',
    '.hidden',
    '_x',
    'a=b',
    'a#b',
    'x,y',
    '',
    ' ',
    'ünïcode',
  ]

  it.each(samples)('%j: when it answers, it answers what smol-toml would', (raw) => {
    const quick = quickRuntimeValue(raw)
    if (quick) expect(quick.value).toStrictEqual(parseRuntimeValue(raw, parse))
  })

  it('answers for booleans, integers, hosts, paths and words', () => {
    for (const raw of ['true', 'false', '0', '5', '-7', 'localhost:5000', '127.0.0.1:5000', 'native', 'oci-layout:///tmp/store', '/abs/path']) {
      expect(quickRuntimeValue(raw), raw).toBeDefined()
    }
    for (const raw of ['"x"', '[1,2]', '2.5', 'inf', '1979-05-27', '1_000', '007']) expect(quickRuntimeValue(raw), raw).toBeUndefined()
  })
})

describe('parseSetFlag', () => {
  it('splits at the first "="', () => {
    expect(parseSetFlag('oci.registry=localhost:5000')).toEqual({key: 'oci.registry', raw: 'localhost:5000'})
    expect(parseSetFlag('vars.query=a=b')).toEqual({key: 'vars.query', raw: 'a=b'})
    expect(parseSetFlag('vars.empty=')).toEqual({key: 'vars.empty', raw: ''})
  })

  it('rejects an assignment without "=" or with a bad key as a usage error (exit 2)', () => {
    for (const bad of ['oci.registry', '=value', 'bad key=1', 'oci..registry=1', '.oci=1']) {
      let caught: unknown
      try {
        parseSetFlag(bad)
      } catch (error) {
        caught = error
      }
      expect(caught, bad).toBeInstanceOf(UsageError)
      expect((caught as UsageError).exit).toBe(2)
      expect((caught as UsageError).code).toBe('E_USAGE')
      expect((caught as UsageError).message).toContain(bad)
      expect((caught as UsageError).hint).toContain('--set')
    }
  })
})

describe('runtime layer through loadConfig', () => {
  let sb: Sandbox
  beforeEach(async () => {
    sb = await makeSandbox()
  })
  afterEach(async () => {
    await sb.cleanup()
  })

  it('maps PROVISIONING_A__B_C to a.b_c and parses values as TOML where they parse', async () => {
    const loaded = await sb.load({
      env: {
        ...sb.env,
        PROVISIONING_VARS__FLAG_ON: 'true',
        PROVISIONING_VARS__COUNT: '5',
        PROVISIONING_VARS__QUOTED: '"x"',
        PROVISIONING_VARS__LIST: '[1,2]',
        PROVISIONING_VARS__PLAIN: 'hello world',
        PROVISIONING_OCI__CONCURRENCY: '16',
      },
    })
    expect(loaded.values.vars).toEqual({flag_on: true, count: 5, quoted: 'x', list: [1, 2], plain: 'hello world'})
    expect(getPath(loaded.values, 'oci.concurrency')).toBe(16)
    expect(loaded.origins.get('vars.flag_on')).toEqual([{layer: 'runtime', source: 'PROVISIONING_VARS__FLAG_ON', value: true}])
    expect(loaded.problems).toEqual([])
  })

  it('does not map the reserved variables as config keys', async () => {
    await sb.write('ws/config/dev-defaults.toml', '')
    await sb.write('ws/infra/prod/config.toml', '')
    const env = {...sb.env, PROVISIONING_WORKSPACE: sb.ws, PROVISIONING_ENV: 'dev', PROVISIONING_INFRA: 'prod', PROVISIONING_MODE: 'cicd'}
    const loaded = await loadConfig({env, cwd: sb.outside})
    const keys = [...loaded.origins.keys()]
    for (const key of ['home', 'workspace', 'env', 'infra', 'mode']) expect(keys, key).not.toContain(key)
    expect(getPath(loaded.values, 'mode.name')).toBe('cicd')
    expect(getPath(loaded.values, 'workspace.name')).toBe('demo')
    expect(loaded.values.infra).toBeUndefined()
    expect(loaded.values.env).toBeUndefined()
    expect(loaded.values.home).toBeUndefined()
    // The selectors still steer loading, and two of them surface as derived keys.
    expect(loaded.environment).toBe('dev')
    expect(loaded.infra).toBe('prod')
    expect(getPath(loaded.values, 'paths.base')).toBe(sb.home)
    expect(loaded.origins.get('paths.base')?.at(-1)).toMatchObject({layer: 'runtime', source: 'PROVISIONING_HOME'})
  })

  it('applies --set in order, creating tables, with parsed values', async () => {
    const loaded = await sb.load({sets: ['vars.n=1', 'vars.n=2', 'vars.deep.list=["a","b"]', 'vars.s=plain text', 'oci.tls_enabled=true']})
    expect(loaded.values.vars).toEqual({n: 2, deep: {list: ['a', 'b']}, s: 'plain text'})
    expect(getPath(loaded.values, 'oci.tls_enabled')).toBe(true)
    expect(loaded.origins.get('vars.n')?.map((o) => [o.source, o.value])).toEqual([
      ['--set vars.n', 1],
      ['--set vars.n', 2],
    ])
    const runtime = loaded.layers.find((l) => l.layer === 'runtime')
    // paths.base from PROVISIONING_HOME plus five --set assignments.
    expect(runtime).toMatchObject({status: 'loaded', keys: 6})
  })

  it('counts only the derived paths.base when no variable or flag sets a key', async () => {
    const loaded = await sb.load({env: {...sb.env, UNRELATED: '1', PROVISIONING_DEBUG: '1'}})
    expect(loaded.layers.find((l) => l.layer === 'runtime')).toMatchObject({status: 'loaded', keys: 1})
    expect([...loaded.origins.values()].filter((h) => h.at(-1)?.layer === 'runtime').length).toBe(1)
  })

  it('rejects a malformed --set with a usage error (exit 2)', async () => {
    const error = await expectProvisioningError(() => sb.load({sets: ['oci.registry']}))
    expect(error).toBeInstanceOf(UsageError)
    expect(error.exit).toBe(2)
    expect(error.code).toBe('E_USAGE')
    expect(error.message).toContain('key.path=value')
  })
})
