import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {formatConfigShow, formatLayers, formatValidate, scalar} from '../../../../src/cli/format/config.js'
import {formatCurrent, formatModeList, formatModeShow, formatModeSwitch, formatModeValidate} from '../../../../src/cli/format/mode.js'
import {showConfig} from '../../../../src/lib/config/query.js'
import {Session} from '../../../../src/lib/session/session.js'
import {makeSandbox, type Sandbox} from '../../config/helpers.js'

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox()
})
afterEach(async () => {
  await sb.cleanup()
})

describe('config formatters', () => {
  it('scalar: strings as they are, dates in ISO form, the rest as JSON', () => {
    expect([scalar('a b'), scalar(3), scalar(true), scalar(null), scalar(new Date('2026-01-02T03:04:05Z')), scalar(['x'])]).toEqual([
      'a b',
      '3',
      'true',
      'null',
      '2026-01-02T03:04:05.000Z',
      '["x"]',
    ])
  })

  it('config show of a real configuration: a table as YAML, a scalar bare, secrets never printed', async () => {
    await sb.write('home/config.user.toml', '[vars]\nregion = "eu-west"\napi_token = "s3cret-token"\ndsn = "postgres://app:s3cret-pw@db.example/app"\n')
    const table = await formatConfigShow(await showConfig(new Session({env: sb.env, cwd: sb.outside, workspace: sb.ws}).loadConfig, 'vars'))
    expect(table).toContain('region: eu-west')
    expect(table).toMatch(/api_token: /)
    expect(table).not.toContain('s3cret')
    expect(await formatConfigShow(await showConfig(new Session({env: sb.env, cwd: sb.outside, workspace: sb.ws}).loadConfig, 'vars.region'))).toBe('eu-west')
    const withOrigins = await formatConfigShow(await showConfig(new Session({env: sb.env, cwd: sb.outside, workspace: sb.ws}).loadConfig, 'vars', true))
    expect(withOrigins).toContain('vars.region = "eu-west"')
    expect(withOrigins).not.toContain('s3cret')
  })

  it('config show --origin: the layer and place (workspace files relative to it), what each value overrode', async () => {
    const text = await formatConfigShow({
      value: 'b',
      mode: 'solo',
      workspace: {name: 'demo', path: '/ws'},
      origins: [
        {
          key: 'oci.registry',
          value: 'ws.example',
          layer: 'workspace',
          file: path.join('/ws', 'config', 'provisioning.yaml'),
          line: 4,
          overridden: [{layer: 'user', file: '/h/config.user.toml', line: 2, value: 'user.example'}],
        },
        {key: 'oci.retries', value: 7, layer: 'runtime', source: '--set oci.retries', overridden: []},
      ],
    })
    expect(text.split('\n')).toEqual([
      'oci.registry = "ws.example"',
      `    workspace      ${path.join('config', 'provisioning.yaml')}:4`,
      '    overrides user /h/config.user.toml:2 = "user.example"',
      'oci.retries = 7',
      '    runtime        --set oci.retries',
    ])
  })

  it('formatValidate: loaded layers and warnings with their place and hint', () => {
    expect(
      formatValidate({
        valid: true,
        errors: [],
        warnings: [],
        layers: [
          {layer: 'defaults', status: 'loaded', keys: 10},
          {layer: 'user', status: 'missing', keys: 0},
        ],
      }),
    ).toBe('configuration is valid (1 layer(s) loaded, 0 warning(s))')
    expect(
      formatValidate({
        valid: true,
        errors: [],
        layers: [],
        warnings: [{severity: 'warning', message: 'unknown key oci.retires', file: '/h/c.toml', line: 3, hint: 'did you mean oci.retries?'}],
      }),
    ).toBe('configuration is valid (0 layer(s) loaded, 1 warning(s))\n  warning: /h/c.toml:3: unknown key oci.retires (did you mean oci.retries?)')
  })

  it('formatLayers: numbered, the error note for a broken layer, several files joined', () => {
    const lines = formatLayers({
      mode: 'solo',
      layers: [
        {layer: 'defaults', status: 'loaded', keys: 40, file: '/app/config.defaults.toml'},
        {layer: 'environment', status: 'loaded', keys: 2, file: '/ws/a.toml', files: ['/ws/a.toml', '/ws/b.toml']},
        {layer: 'user', status: 'error', keys: 0, file: '/h/config.user.toml', note: 'line 3: expected ='},
        {layer: 'runtime', status: 'not-selected', keys: 0, note: 'no --set'},
      ],
    }).split('\n')
    expect(lines[0]).toMatch(/^#\s+LAYER\s+STATUS\s+KEYS\s+SOURCE$/)
    expect(lines[1]).toMatch(/^1\s+defaults\s+loaded\s+40\s+\/app\/config\.defaults\.toml$/)
    expect(lines[2]).toMatch(/\/ws\/a\.toml \+ \/ws\/b\.toml$/)
    expect(lines[3]).toMatch(/error\s+0\s+line 3: expected =$/)
    expect(lines[4]).toMatch(/not-selected\s+0\s+no --set$/)
  })
})

describe('mode formatters', () => {
  const summary = {
    name: 'solo',
    description: 'one person',
    active: true,
    authentication: 'none',
    deployment: 'local',
    registry: 'localhost:5000',
    locking: 'file',
    limits: 'default',
  }

  it('formatModeList and formatCurrent', () => {
    const lines = formatModeList({current: 'solo', modes: [summary, {...summary, name: 'enterprise', active: false, authentication: 'oidc'}]}).split('\n')
    expect(lines[0]).toMatch(/^\s+MODE\s+AUTHENTICATION\s+DEPLOYMENT\s+REGISTRY\s+LOCKING\s+LIMITS$/)
    expect(lines[1]).toMatch(/^\*\s+solo\s+none/)
    expect(lines[2]).toMatch(/^\s+enterprise\s+oidc/)
    expect(formatModeList({current: 'solo', modes: []})).toBe('')
    expect(formatCurrent({name: 'solo', source: 'default', origin: 'default'})).toBe('solo')
  })

  it('formatModeShow: the summary, the files, the settings as YAML', async () => {
    const text = await formatModeShow({name: 'solo', files: ['/app/modes/solo.yaml'], settings: {locking: {provider: 'file'}}, summary})
    expect(text).toContain('mode:           solo (active)')
    expect(text).toContain('files:          /app/modes/solo.yaml')
    expect(text.endsWith('settings (config layer 2):\nlocking:\n  provider: file')).toBe(true)
  })

  it('formatModeValidate and formatModeSwitch: met and missing requirements with the fix; already there; forced; overridden', () => {
    const requirements = [
      {id: 'a', description: 'etcd reachable', met: true, actual: 'yes', fix: ''},
      {id: 'b', description: 'TLS registry', met: false, actual: 'plain HTTP', fix: 'set oci.tls_enabled'},
    ]
    expect(formatModeValidate({mode: 'solo', valid: true, requirements: []})).toBe('mode solo: all 0 requirement(s) met\n  (no requirements)')
    expect(formatModeSwitch({mode: 'solo', previous: 'solo', forced: false, valid: true, requirements: []})).toBe('mode is already solo')
    expect(
      formatModeSwitch({mode: 'enterprise', previous: 'solo', forced: true, valid: false, requirements, overriddenBy: 'PROVISIONING_MODE'}).split('\n'),
    ).toEqual([
      'switched mode: solo -> enterprise (forced; requirements unmet)',
      '  ok  etcd reachable: yes',
      '  MISSING TLS registry: plain HTTP',
      '      fix: set oci.tls_enabled',
      'note: PROVISIONING_MODE is set and still overrides the active mode in this shell',
    ])
  })
})
