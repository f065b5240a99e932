import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {selectAndLoadConfig as loadConfig} from '../../../src/lib/session/select-config.js'
import {getPath} from '../../../src/lib/config/merge.js'
import {templatePath} from '../../../src/lib/util/package-root.js'
import {makeSandbox, type Sandbox} from './helpers.js'

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox()
})
afterEach(async () => {
  await sb.cleanup()
})

describe('mode layer', () => {
  it('defaults to solo when nothing selects a mode', async () => {
    const loaded = await loadConfig({env: sb.env, cwd: sb.outside})
    expect(loaded.mode).toEqual({name: 'solo', source: 'default', origin: 'default'})
    expect(getPath(loaded.values, 'mode.name')).toBe('solo')
    expect(loaded.layers.find((l) => l.layer === 'mode')).toMatchObject({status: 'loaded', files: [templatePath('modes', 'solo.yaml')]})
  })

  it('loads templates/modes/cicd.yaml for PROVISIONING_MODE=cicd', async () => {
    const loaded = await loadConfig({env: {...sb.env, PROVISIONING_MODE: 'cicd'}, cwd: sb.outside})
    expect(loaded.mode).toMatchObject({name: 'cicd', source: 'env'})
    expect(getPath(loaded.values, 'oci.tls_enabled')).toBe(true)
    expect(getPath(loaded.values, 'mode.registry.kind')).toBe('harbor-required')
    expect(loaded.origins.get('oci.tls_enabled')?.map((o) => [o.layer, o.file])).toEqual([
      ['defaults', templatePath('config.defaults.toml')],
      ['mode', templatePath('modes', 'cicd.yaml')],
    ])
  })

  it('lets <ws>/config/modes/cicd.yaml override the template, merging tables', async () => {
    const override = await sb.write(
      'ws/config/modes/cicd.yaml',
      'oci:\n  tls_enabled: false\n  registry: harbor.internal:443\nmode:\n  limits:\n    servers: 9\n',
    )
    const loaded = await sb.load({env: {...sb.env, PROVISIONING_MODE: 'cicd'}})
    expect(getPath(loaded.values, 'oci.tls_enabled')).toBe(false)
    expect(getPath(loaded.values, 'oci.registry')).toBe('harbor.internal:443')
    expect(getPath(loaded.values, 'mode.limits')).toEqual({servers: 9, cores: 16, memory_gb: 64})
    expect(loaded.origins.get('oci.tls_enabled')?.map((o) => [o.layer, o.file])).toEqual([
      ['defaults', templatePath('config.defaults.toml')],
      ['mode', templatePath('modes', 'cicd.yaml')],
      ['mode', override],
    ])
  })

  it('ignores a workspace override of another mode', async () => {
    await sb.write('ws/config/modes/enterprise.yaml', 'oci:\n  registry: ent.example\n')
    const loaded = await sb.load({env: {...sb.env, PROVISIONING_MODE: 'cicd'}})
    expect(getPath(loaded.values, 'oci.registry')).toBe('localhost:5000')
  })

  it('lets the user layer override the mode', async () => {
    await sb.write('home/config.user.toml', '[oci]\ntls_enabled = false\n')
    const loaded = await sb.load({env: {...sb.env, PROVISIONING_MODE: 'enterprise'}})
    expect(getPath(loaded.values, 'oci.tls_enabled')).toBe(false)
    expect(getPath(loaded.values, 'oci.verify_signatures')).toBe(true)
    expect(getPath(loaded.values, 'locking.provider')).toBe('etcd')
  })

  it('reads the active mode from $PROVISIONING_HOME/config/active-mode.yaml', async () => {
    const file = await sb.write('home/config/active-mode.yaml', 'mode: multi-user\n')
    const loaded = await sb.load()
    expect(loaded.mode).toEqual({name: 'multi-user', source: 'file', origin: file})
    expect(getPath(loaded.values, 'locking.provider')).toBe('file')
  })

  it('prefers the mode option over PROVISIONING_MODE over active-mode.yaml', async () => {
    await sb.write('home/config/active-mode.yaml', 'mode: multi-user\n')
    const env = {...sb.env, PROVISIONING_MODE: 'cicd'}
    expect((await sb.load({env})).mode.name).toBe('cicd')
    const override = await sb.load({env, mode: 'enterprise'})
    expect(override.mode).toMatchObject({name: 'enterprise', source: 'override'})
    expect(getPath(override.values, 'mode.name')).toBe('enterprise')
  })

  it('accepts a mode that only the workspace defines', async () => {
    const custom = await sb.write('ws/config/modes/lab.yaml', 'mode:\n  name: lab\noci:\n  concurrency: 2\n')
    const loaded = await sb.load({env: {...sb.env, PROVISIONING_MODE: 'lab'}})
    expect(getPath(loaded.values, 'mode.name')).toBe('lab')
    expect(getPath(loaded.values, 'oci.concurrency')).toBe(2)
    const layer = loaded.layers.find((l) => l.layer === 'mode')
    // The template of a workspace-only mode does not exist: skipped like any missing file,
    // so only the file that loaded is listed.
    expect(layer).toMatchObject({status: 'loaded', file: custom, files: [custom]})
  })

  it('loads every shipped mode template cleanly', async () => {
    for (const mode of ['solo', 'multi-user', 'cicd', 'enterprise']) {
      const loaded = await loadConfig({env: sb.env, cwd: sb.outside, mode})
      expect(loaded.problems, mode).toEqual([])
      expect(getPath(loaded.values, 'mode.name')).toBe(mode)
    }
  })
})
