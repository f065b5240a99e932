import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {type LoadOptions} from '../../../src/lib/config/loader.js'
import {getConfigValue, listLayers, showConfig, validateConfig} from '../../../src/lib/config/query.js'
import type {ConfigProblem} from '../../../src/lib/config/types.js'
import {ConfigError, NotFoundError} from '../../../src/lib/errors.js'
import {Session} from '../../../src/lib/session/session.js'
import {expectProvisioningError, makeSandbox, type Sandbox} from './helpers.js'

let sb: Sandbox
let options: LoadOptions
beforeEach(async () => {
  sb = await makeSandbox()
  options = {env: sb.env, cwd: sb.outside, workspace: sb.ws}
})
afterEach(async () => {
  await sb.cleanup()
})

/** The commands' path: the config of a session with these options. */
const configValue = async (load: LoadOptions, key: string) => getConfigValue(await new Session(load).config(), key)

describe('getConfigValue', () => {
  it('returns one value, or a subtree', async () => {
    await sb.write('home/config.user.toml', '[oci]\nregistry = "reg.example:5000"\n')
    expect(await configValue(options, 'oci.registry')).toEqual({key: 'oci.registry', value: 'reg.example:5000'})
    expect(await configValue(options, 'oci.concurrency')).toEqual({key: 'oci.concurrency', value: 4})
    expect((await configValue(options, 'oci.cache')).value).toEqual({dir: path.join(sb.home, 'cache', 'oci'), index_ttl_seconds: 300})
  })

  it('fails with NotFoundError (exit 4) for a missing key', async () => {
    const error = await expectProvisioningError(() => configValue(options, 'oci.nope'))
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error.exit).toBe(4)
    expect(error.code).toBe('E_NOT_FOUND')
    expect(error.message).toContain('"oci.nope"')
    expect(error.details).toEqual({key: 'oci.nope'})
    expect(error.hint).toContain('oci')
  })

  it('fails with exit 4 from showConfig too', async () => {
    const error = await expectProvisioningError(() => showConfig(new Session(options).loadConfig, 'no.such.key', true))
    expect(error.exit).toBe(4)
  })
})

describe('secret masking', () => {
  const secrets = ['s3cr3t-token', 'older-token', 'hunter2', 'env-pass']

  beforeEach(async () => {
    await sb.write('home/config.user.toml', '[vars]\napi_token = "older-token"\n')
    await sb.write('ws/config/provisioning.yaml', 'vars:\n  api_token: s3cr3t-token\n  plain: visible\n  nested:\n    password: hunter2\n')
    options = {...options, env: {...sb.env, PROVISIONING_VARS__DB_PASSWORD: 'env-pass'}}
  })

  it('masks secret-looking keys in get', async () => {
    expect(await configValue(options, 'vars.api_token')).toEqual({key: 'vars.api_token', value: '***'})
    expect((await configValue(options, 'vars')).value).toEqual({api_token: '***', plain: 'visible', nested: {password: '***'}, db_password: '***'})
  })

  it('masks them in show, including the origins and the values they overrode', async () => {
    const whole = await showConfig(new Session(options).loadConfig, undefined, true)
    const text = JSON.stringify(whole)
    for (const secret of secrets) expect(text).not.toContain(secret)
    expect(text).toContain('visible')
    const token = whole.origins?.find((o) => o.key === 'vars.api_token')
    expect(token).toMatchObject({value: '***', layer: 'workspace', overridden: [{layer: 'user', value: '***'}]})

    const one = await showConfig(new Session(options).loadConfig, 'vars.nested.password', true)
    expect(one.value).toBe('***')
    expect(JSON.stringify(one)).not.toContain('hunter2')
  })
})

describe('validateConfig', () => {
  it('returns valid with no problems for a clean setup', async () => {
    const result = await validateConfig(new Session(options).loadConfig)
    expect(result).toMatchObject({valid: true, errors: [], warnings: []})
    expect(result.layers.map((l) => l.layer)).toContain('workspace')
  })

  it('accepts unknown keys as warnings', async () => {
    const ws = await sb.write('ws/config/provisioning.yaml', 'oci:\n  namespce: x\n')
    const result = await validateConfig(new Session(options).loadConfig)
    expect(result.valid).toBe(true)
    expect(result.warnings).toEqual([expect.objectContaining({key: 'oci.namespce', file: ws, line: 2, hint: 'did you mean oci.namespace?'})])
  })

  it('warns when the active workspace points to a missing folder', async () => {
    await sb.write('home/config/user_config.yaml', `active_workspace: gone\nworkspaces:\n  - name: gone\n    path: ${path.join(sb.root, 'gone')}\n`)
    const result = await validateConfig(new Session({env: sb.env, cwd: sb.outside}).loadConfig)
    expect(result.valid).toBe(true)
    expect(result.warnings).toEqual([expect.objectContaining({severity: 'warning', message: expect.stringContaining('"gone"')})])
  })

  it('reports ALL problems at once: two broken files are both listed', async () => {
    const user = await sb.write('home/config.user.toml', '[oci]\nregistry = \n')
    const ws = await sb.write('ws/config/provisioning.yaml', 'workspace:\n  name: demo\noci: [broken\n')
    const error = await expectProvisioningError(() => validateConfig(new Session(options).loadConfig))
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.exit).toBe(3)
    expect(error.code).toBe('E_CONFIG')
    expect(error.message).toContain('2 error(s)')
    expect(error.message).toContain(user)
    expect(error.message).toContain(ws)
    const errors = error.details.errors as ConfigProblem[]
    expect(errors.map((p) => p.file)).toEqual([user, ws])
    expect(errors.every((p) => p.severity === 'error' && p.line !== undefined && p.column !== undefined)).toBe(true)
    expect(error.details.valid).toBe(false)
  })

  it('lists syntax, type and interpolation errors together, with the warnings', async () => {
    const env = await sb.write('ws/config/dev-defaults.toml', 'oops = = 1\n')
    const ws = await sb.write('ws/config/provisioning.yaml', 'oci:\n  concurrency: many\n  registy: typo\nvars:\n  x: "{{nope}}"\n')
    const error = await expectProvisioningError(() => validateConfig(new Session({...options, envName: 'dev'}).loadConfig))
    expect(error.exit).toBe(3)
    const errors = error.details.errors as ConfigProblem[]
    expect(errors).toHaveLength(3)
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({file: env, line: 1}),
        expect.objectContaining({key: 'oci.concurrency', file: ws, line: 2}),
        expect.objectContaining({key: 'vars.x', file: ws, line: 5}),
      ]),
    )
    expect(error.details.warnings).toEqual([expect.objectContaining({key: 'oci.registy'})])
    expect(error.message).toContain('3 error(s) and 1 warning(s)')
    expect(error.message).toContain('fix: ')
  })
})

describe('listLayers', () => {
  it('reports every layer with its status, without throwing on broken files', async () => {
    const user = await sb.write('home/config.user.toml', 'x = = 1\n')
    const result = await listLayers(new Session(options).loadConfig)
    expect(result.mode).toBe('solo')
    expect(result.workspace).toBe(sb.ws)
    expect(result.layers.map((l) => [l.layer, l.status])).toEqual([
      ['defaults', 'loaded'],
      ['mode', 'loaded'],
      ['user', 'error'],
      ['workspace', 'loaded'],
      ['environment', 'not-selected'],
      ['infrastructure', 'not-selected'],
      ['runtime', 'loaded'],
    ])
    expect(result.layers.find((l) => l.layer === 'user')).toMatchObject({file: user, note: expect.stringContaining(`${user}:1:`)})
  })
})

describe('inherited property names', () => {
  it('are not config keys', async () => {
    for (const key of ['constructor', 'toString', 'oci.hasOwnProperty']) {
      const error = await expectProvisioningError(() => configValue(options, key))
      expect(error.exit, key).toBe(4)
    }
  })
})
