import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/loader.js'
import {getPath} from '../../../src/lib/config/merge.js'
import {withDeclaredSource} from '../../../src/lib/deps/source-settings.js'
import {ociSettingsFrom} from '../../../src/lib/oci/settings.js'
import {Session} from '../../../src/lib/session/session.js'
import {templatePath} from '../../../src/lib/util/package-root.js'
import {expectProvisioningError, makeSandbox, type Sandbox} from '../config/helpers.js'

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox({workspaceYaml: 'workspace:\n  name: demo\noci:\n  registry: reg.example:5000\n'})
})
afterEach(async () => {
  await sb.cleanup()
})

describe('loadConfig takes the workspace and mode as inputs', () => {
  it('loads the layers of the selection it is given, discovering nothing itself', async () => {
    // The working folder is outside any workspace and nothing names one: only the selection does.
    const loaded = await loadConfig(
      {
        home: sb.home,
        cwd: sb.outside,
        workspace: {name: 'given', path: sb.ws, source: 'flag'},
        mode: {name: 'cicd', source: 'override', origin: 'argument'},
        availableModes: ['cicd', 'solo'],
        modeFiles: [templatePath('modes', 'cicd.yaml')],
      },
      {env: sb.env},
    )
    expect(loaded.workspace).toEqual({name: 'given', path: sb.ws, source: 'flag'})
    expect(getPath(loaded.values, 'oci.registry')).toBe('reg.example:5000')
    expect(getPath(loaded.values, 'mode.registry.kind')).toBe('harbor-required')
    expect(loaded.cwd).toBe(sb.outside)
  })

  it('refuses a mode the selection does not list, naming the ones it does', async () => {
    const error = await expectProvisioningError(() =>
      loadConfig(
        {home: sb.home, cwd: sb.outside, mode: {name: 'nope', source: 'env', origin: 'PROVISIONING_MODE'}, availableModes: ['solo'], modeFiles: []},
        {env: sb.env},
      ),
    )
    expect(error.exit).toBe(3)
    expect(error.message).toContain('unknown mode "nope" (from PROVISIONING_MODE)')
    expect(error.hint).toBe('use one of: solo')
  })
})

describe('Session', () => {
  it('loads the config once, and a fresh copy on request', async () => {
    const session = new Session({env: sb.env, cwd: sb.outside, workspace: sb.ws})
    const first = await session.config()
    expect(await session.config()).toBe(first)
    const fresh = await session.loadConfig()
    expect(fresh).not.toBe(first)
    expect(fresh.values).toEqual(first.values)
  })

  it('selects the workspace and mode without loading config (a broken config file does not stop it)', async () => {
    await sb.write('ws/config/provisioning.yaml', 'oci: [unclosed\n')
    const session = new Session({env: {...sb.env, PROVISIONING_MODE: 'cicd'}, cwd: sb.outside, workspace: sb.ws})
    const selection = await session.selection()
    expect(selection.workspace?.path).toBe(sb.ws)
    expect(selection.mode).toEqual({name: 'cicd', source: 'env', origin: 'PROVISIONING_MODE'})
    expect(selection.availableModes).toContain('solo')
    expect((await expectProvisioningError(() => session.config())).exit).toBe(3)
  })

  it('answers for the workspace an argument names, and for another mode', async () => {
    const session = new Session({env: sb.env, cwd: sb.outside})
    expect((await session.config()).workspace).toBeUndefined()
    expect((await session.forWorkspace(sb.ws).config()).workspace?.path).toBe(sb.ws)
    expect(session.forWorkspace(undefined)).toBe(session)
    const enterprise = await session.configWithMode('enterprise')
    expect(enterprise.mode).toEqual({name: 'enterprise', source: 'override', origin: 'argument'})
  })
})

describe('settings built from the loaded config', () => {
  it('oci settings: the merged values with overrides, and the run environment the config was loaded with', async () => {
    const loaded = await new Session({env: sb.env, cwd: sb.outside, workspace: sb.ws}).config()
    const settings = ociSettingsFrom(loaded, {concurrency: 9, namespace: 'team'})
    expect(settings).toMatchObject({registry: 'reg.example:5000', namespace: 'team', concurrency: 9, home: sb.home, cwd: sb.outside})
    expect(settings.env).toBe(sb.env)
  })

  it('a declared source gives new settings and leaves the ones it started from as they were', async () => {
    const settings = ociSettingsFrom(await new Session({env: sb.env, cwd: sb.outside, workspace: sb.ws}).config())
    const before = structuredClone({registry: settings.registry, namespace: settings.namespace, tlsEnabled: settings.tlsEnabled})
    const declared = withDeclaredSource(settings, {kind: 'oci', registry: 'declared.example', namespace: 'ns', tlsEnabled: true})
    expect(declared).toMatchObject({registry: 'declared.example', namespace: 'ns', tlsEnabled: true})
    expect({registry: settings.registry, namespace: settings.namespace, tlsEnabled: settings.tlsEnabled}).toEqual(before)
  })
})
