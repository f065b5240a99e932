import {mkdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {selectAndLoadConfig as loadConfig} from '../../../src/lib/session/select-config.js'
import {LAYERS} from '../../../src/lib/config/types.js'
import {templatePath} from '../../../src/lib/util/package-root.js'
import {makeSandbox, type Sandbox} from './helpers.js'

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox()
})
afterEach(async () => {
  await sb.cleanup()
})

/** Writes one file per file layer, each setting `oci.registry` (and a marker under vars). */
async function writeAllLayers(): Promise<Record<string, string>> {
  return {
    user: await sb.write('home/config.user.toml', '[oci]\nregistry = "user.example:5000"\n\n[vars]\nfrom_user = "u"\n'),
    workspace: await sb.write('ws/config/provisioning.yaml', 'workspace:\n  name: demo\noci:\n  registry: ws.example:5000\nvars:\n  from_workspace: w\n'),
    environment: await sb.write('ws/config/dev-defaults.toml', '[oci]\nregistry = "env.example:5000"\n\n[vars]\nfrom_env = "e"\n'),
    infrastructure: await sb.write(
      'ws/infra/prod/config.toml',
      '# production cluster\n\n[oci]\n# the infra registry\nregistry = "infra.example:5000"\n\n[vars]\nfrom_infra = "i"\n',
    ),
  }
}

describe('layer order', () => {
  it('loads only the defaults and the mode when there is no workspace', async () => {
    const loaded = await loadConfig({env: sb.env, cwd: sb.outside})
    expect(loaded.workspace).toBeUndefined()
    expect(loaded.values).toMatchObject({oci: {registry: 'localhost:5000', concurrency: 4, tool: 'auto'}})
    const origin = loaded.origins.get('oci.registry')
    expect(origin).toEqual([{layer: 'defaults', file: templatePath('config.defaults.toml'), value: 'localhost:{{platform.services.oci-registry.port}}'}])
    expect(loaded.layers.map((l) => l.layer)).toEqual([...LAYERS])
    const status = Object.fromEntries(loaded.layers.map((l) => [l.layer, l.status]))
    expect(status).toEqual({
      defaults: 'loaded',
      mode: 'loaded',
      user: 'missing',
      workspace: 'not-selected',
      environment: 'not-selected',
      infrastructure: 'not-selected',
      // PROVISIONING_HOME derives paths.base at runtime.
      runtime: 'loaded',
    })
    expect(loaded.problems).toEqual([])
  })

  it('lets every file layer contribute its own keys', async () => {
    await writeAllLayers()
    const loaded = await sb.load({envName: 'dev', infra: 'prod'})
    expect(loaded.values.vars).toEqual({from_user: 'u', from_workspace: 'w', from_env: 'e', from_infra: 'i'})
    expect(loaded.origins.get('vars.from_user')?.at(-1)?.layer).toBe('user')
    expect(loaded.origins.get('vars.from_workspace')?.at(-1)?.layer).toBe('workspace')
    expect(loaded.origins.get('vars.from_env')?.at(-1)?.layer).toBe('environment')
    expect(loaded.origins.get('vars.from_infra')?.at(-1)?.layer).toBe('infrastructure')
    expect(loaded.origins.get('mode.name')?.at(-1)).toMatchObject({layer: 'mode', file: templatePath('modes', 'solo.yaml')})
    expect(loaded.layers.every((l) => l.status === 'loaded')).toBe(true)
    expect(loaded.environment).toBe('dev')
    expect(loaded.infra).toBe('prod')
  })

  it('resolves a key set in defaults, user, workspace, env and infra to the infra value with the full history', async () => {
    const files = await writeAllLayers()
    const loaded = await sb.load({envName: 'dev', infra: 'prod'})
    expect((loaded.values.oci as Record<string, unknown>).registry).toBe('infra.example:5000')
    expect(loaded.origins.get('oci.registry')).toEqual([
      {layer: 'defaults', file: templatePath('config.defaults.toml'), value: 'localhost:{{platform.services.oci-registry.port}}'},
      {layer: 'user', file: files.user, value: 'user.example:5000'},
      {layer: 'workspace', file: files.workspace, value: 'ws.example:5000'},
      {layer: 'environment', file: files.environment, value: 'env.example:5000'},
      {layer: 'infrastructure', file: files.infrastructure, value: 'infra.example:5000'},
    ])
  })

  it('puts the mode layer between defaults and user, with the workspace mode file after the template', async () => {
    const wsMode = await sb.write('ws/config/modes/solo.yaml', 'oci:\n  namespace: from-ws-mode\n  tool: native\n')
    const user = await sb.write('home/config.user.toml', '[oci]\nnamespace = "from-user"\n')
    const loaded = await sb.load()
    const oci = loaded.values.oci as Record<string, unknown>
    expect(oci.namespace).toBe('from-user')
    expect(oci.tool).toBe('native')
    expect(loaded.origins.get('oci.namespace')?.map((o) => [o.layer, o.file])).toEqual([
      ['defaults', templatePath('config.defaults.toml')],
      ['mode', wsMode],
      ['user', user],
    ])
    // solo.yaml sets oci.tls_enabled; the template is recorded as a mode-layer file.
    expect(loaded.origins.get('oci.tls_enabled')?.map((o) => o.layer)).toEqual(['defaults', 'mode'])
    const modeLayer = loaded.layers.find((l) => l.layer === 'mode')
    expect(modeLayer).toMatchObject({status: 'loaded', file: wsMode, files: [templatePath('modes', 'solo.yaml'), wsMode]})
  })

  it('gives the infra assignment its file and 1-based line with `lines: true`', async () => {
    const files = await writeAllLayers()
    const loaded = await sb.load({envName: 'dev', infra: 'prod', lines: true})
    const history = loaded.origins.get('oci.registry') ?? []
    expect(history.at(-1)).toEqual({layer: 'infrastructure', file: files.infrastructure, line: 5, value: 'infra.example:5000'})
    expect(history.find((o) => o.layer === 'workspace')?.line).toBe(4)
    expect(history.find((o) => o.layer === 'user')?.line).toBe(2)
    expect(history.find((o) => o.layer === 'environment')?.line).toBe(2)
    const defaultsText = await readFile(templatePath('config.defaults.toml'), 'utf8')
    const defaultsLine = defaultsText.split('\n').findIndex((l) => l.startsWith('registry = ')) + 1
    expect(history[0].line).toBe(defaultsLine)
  })

  it('does not compute lines unless asked (or a problem needs them)', async () => {
    await writeAllLayers()
    const loaded = await sb.load({envName: 'dev', infra: 'prod'})
    expect(loaded.origins.get('oci.registry')?.every((o) => o.line === undefined)).toBe(true)
  })

  it('lets PROVISIONING_OCI__REGISTRY beat every file layer, and --set beat the variable', async () => {
    await writeAllLayers()
    const env = {...sb.env, PROVISIONING_OCI__REGISTRY: 'envvar.example:5000'}
    const fromEnv = await sb.load({env, envName: 'dev', infra: 'prod'})
    expect((fromEnv.values.oci as Record<string, unknown>).registry).toBe('envvar.example:5000')
    expect(fromEnv.origins.get('oci.registry')?.map((o) => o.layer)).toEqual(['defaults', 'user', 'workspace', 'environment', 'infrastructure', 'runtime'])
    expect(fromEnv.origins.get('oci.registry')?.at(-1)).toEqual({layer: 'runtime', source: 'PROVISIONING_OCI__REGISTRY', value: 'envvar.example:5000'})

    const fromSet = await sb.load({env, envName: 'dev', infra: 'prod', sets: ['oci.registry=first.example', 'oci.registry=last.example']})
    expect((fromSet.values.oci as Record<string, unknown>).registry).toBe('last.example')
    expect(
      fromSet.origins
        .get('oci.registry')
        ?.slice(-3)
        .map((o) => o.source),
    ).toEqual(['PROVISIONING_OCI__REGISTRY', '--set oci.registry', '--set oci.registry'])
    expect(
      fromSet.origins
        .get('oci.registry')
        ?.slice(-3)
        .map((o) => o.value),
    ).toEqual(['envvar.example:5000', 'first.example', 'last.example'])
  })
})

describe('workspace selection', () => {
  it('finds the workspace from a folder inside it', async () => {
    const deep = path.join(sb.ws, 'infra', 'prod', 'sub')
    await mkdir(deep, {recursive: true})
    const loaded = await loadConfig({env: sb.env, cwd: deep})
    expect(loaded.workspace).toEqual({name: 'ws', path: sb.ws, source: 'cwd'})
    expect(loaded.layers.find((l) => l.layer === 'workspace')).toMatchObject({status: 'loaded', file: path.join(sb.ws, 'config', 'provisioning.yaml')})
  })

  it('uses PROVISIONING_WORKSPACE when no --workspace is given', async () => {
    const loaded = await loadConfig({env: {...sb.env, PROVISIONING_WORKSPACE: sb.ws}, cwd: sb.outside})
    expect(loaded.workspace).toMatchObject({path: sb.ws, source: 'env'})
    expect(loaded.values.workspace).toEqual({name: 'demo'})
  })
})

describe('environment layer selection', () => {
  beforeEach(async () => {
    await sb.write('ws/config/dev-defaults.toml', '[vars]\nwhich = "dev"\n')
    await sb.write('ws/config/staging-defaults.toml', '[vars]\nwhich = "staging"\n')
    await sb.write('ws/config/prod-defaults.toml', '[vars]\nwhich = "prod"\n')
  })
  const which = (values: Record<string, unknown>) => (values.vars as Record<string, unknown>).which

  it('is selected by the envName option (--env)', async () => {
    const loaded = await sb.load({envName: 'dev'})
    expect(which(loaded.values)).toBe('dev')
    expect(loaded.values.environment).toBe('dev')
    expect(loaded.origins.get('environment')?.at(-1)).toMatchObject({layer: 'runtime', source: '--env'})
    expect(loaded.layers.find((l) => l.layer === 'environment')).toMatchObject({status: 'loaded', file: path.join(sb.ws, 'config', 'dev-defaults.toml')})
  })

  it('is selected by PROVISIONING_ENV', async () => {
    const loaded = await sb.load({env: {...sb.env, PROVISIONING_ENV: 'staging'}})
    expect(which(loaded.values)).toBe('staging')
    expect(loaded.environment).toBe('staging')
    expect(loaded.origins.get('environment')?.at(-1)).toMatchObject({layer: 'runtime', source: 'PROVISIONING_ENV'})
  })

  it('is selected by the `environment` key of the config merged so far', async () => {
    await sb.write('ws/config/provisioning.yaml', 'environment: prod\n')
    const loaded = await sb.load()
    expect(which(loaded.values)).toBe('prod')
    expect(loaded.environment).toBe('prod')
    expect(loaded.origins.get('environment')?.at(-1)?.layer).toBe('workspace')
  })

  it('prefers --env over PROVISIONING_ENV over the `environment` key', async () => {
    await sb.write('ws/config/provisioning.yaml', 'environment: prod\n')
    const env = {...sb.env, PROVISIONING_ENV: 'staging'}
    expect(which((await sb.load({env, envName: 'dev'})).values)).toBe('dev')
    expect(which((await sb.load({env})).values)).toBe('staging')
  })

  it('is not selected when nothing names an environment, and skipped silently when its file is missing', async () => {
    const none = await sb.load()
    expect(none.layers.find((l) => l.layer === 'environment')?.status).toBe('not-selected')
    expect(none.environment).toBeUndefined()
    const missing = await sb.load({envName: 'qa'})
    expect(missing.layers.find((l) => l.layer === 'environment')).toMatchObject({status: 'missing', file: path.join(sb.ws, 'config', 'qa-defaults.toml')})
    expect(missing.problems).toEqual([])
  })
})

describe('infrastructure layer selection', () => {
  beforeEach(async () => {
    await sb.write('ws/infra/alpha/config.toml', '[vars]\ninfra = "alpha"\n')
    await sb.write('ws/infra/beta/config.toml', '[vars]\ninfra = "beta"\n')
  })
  const infra = (values: Record<string, unknown>) => (values.vars as Record<string, unknown>).infra

  it('is selected by the infra option or PROVISIONING_INFRA, the option first', async () => {
    expect(infra((await sb.load({infra: 'alpha'})).values)).toBe('alpha')
    const env = {...sb.env, PROVISIONING_INFRA: 'beta'}
    const viaEnv = await sb.load({env})
    expect(infra(viaEnv.values)).toBe('beta')
    expect(viaEnv.infra).toBe('beta')
    expect(infra((await sb.load({env, infra: 'alpha'})).values)).toBe('alpha')
  })

  it('treats an infra folder without config.toml as a missing (optional) file', async () => {
    await mkdir(path.join(sb.ws, 'infra', 'empty'), {recursive: true})
    const loaded = await sb.load({infra: 'empty'})
    expect(loaded.layers.find((l) => l.layer === 'infrastructure')?.status).toBe('missing')
  })

  it('is not selected without a workspace', async () => {
    const loaded = await loadConfig({env: sb.env, cwd: sb.outside, infra: 'alpha'})
    expect(loaded.layers.find((l) => l.layer === 'infrastructure')).toMatchObject({status: 'not-selected', note: 'no workspace'})
  })
})
