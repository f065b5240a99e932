import {chmod, mkdir} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {selectAndLoadConfig as loadConfig} from '../../../src/lib/session/select-config.js'
import {readConfigSource} from '../../../src/lib/config/source-file.js'
import {ConfigError, NotFoundError} from '../../../src/lib/errors.js'
import {distModule, isRoot, runAsNobody} from '../../helpers/unprivileged.js'
import {expectProvisioningError, makeSandbox, type Sandbox} from './helpers.js'

/** sb.load() in a child process run as nobody, through the built loader: the error it throws. */
async function loadAsNobody(box: Sandbox): Promise<{exit: number; message: string; hint?: string}> {
  await chmod(box.home, 0o755)
  return runAsNobody(
    box.root,
    `
    const {selectAndLoadConfig: loadConfig} = await import(${JSON.stringify(distModule('lib/session/select-config.js'))})
    try {
      await loadConfig({env: {PROVISIONING_HOME: ${JSON.stringify(box.home)}}, cwd: ${JSON.stringify(box.outside)}, workspace: ${JSON.stringify(box.ws)}})
      console.log(JSON.stringify({exit: 0, message: 'loaded'}))
    } catch (error) {
      console.log(JSON.stringify({exit: error.exit, message: error.message, hint: error.hint}))
    }`,
  )
}

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox()
})
afterEach(async () => {
  await sb.cleanup()
})

describe('syntax errors', () => {
  it('reports a TOML syntax error with file, line and column (exit 3)', async () => {
    const user = await sb.write('home/config.user.toml', '[oci]\nregistry = = "x"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.exit).toBe(3)
    expect(error.code).toBe('E_CONFIG')
    expect(error.message).toContain(`${user}:2:12`)
    expect(error.message).toContain('syntax error')
    expect(error.details).toMatchObject({file: user, line: 2, column: 12})
    expect(error.hint).toContain('line 2, column 12')
  })

  it('reports a YAML syntax error with the line and column of the mistake', async () => {
    const ws = await sb.write('ws/config/provisioning.yaml', 'workspace:\n  name: demo\noci:\n  registry: a\n  registry: b\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.exit).toBe(3)
    expect(error.message).toContain(`${ws}:5:3`)
    expect(error.details).toMatchObject({file: ws, line: 5, column: 3})
  })

  it('locates an unclosed YAML flow sequence past line 1', async () => {
    const file = await sb.write('bad.yaml', 'a: 1\nb: [1, 2\nc: 3\n')
    const error = await expectProvisioningError(() => readConfigSource(file))
    expect(error.exit).toBe(3)
    expect((error.details as {line: number}).line).toBeGreaterThan(1)
    expect(error.message).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}:\\d+:\\d+: syntax error: `))
  })

  it('rejects a YAML file whose top level is a list (exit 3)', async () => {
    const ws = await sb.write('ws/config/provisioning.yaml', '- one\n- two\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error.exit).toBe(3)
    expect(error.message).toContain(ws)
    expect(error.message).toContain('must be a mapping')
    expect(error.message).toContain('a list')
  })

  it('treats an empty YAML file as an empty table', async () => {
    await sb.write('ws/config/provisioning.yaml', '# nothing here yet\n')
    const loaded = await sb.load()
    expect(loaded.layers.find((l) => l.layer === 'workspace')).toMatchObject({status: 'loaded', keys: 0})
  })

  it('reports a broken workspace mode file and a broken active-mode.yaml', async () => {
    const modeFile = await sb.write('ws/config/modes/solo.yaml', 'oci: [unclosed\n')
    const modeError = await expectProvisioningError(() => sb.load())
    expect(modeError.exit).toBe(3)
    expect(modeError.message).toContain(modeFile)

    await sb.write('ws/config/modes/solo.yaml', 'oci: {}\n')
    const active = await sb.write('home/config/active-mode.yaml', 'mode: [solo\n')
    const activeError = await expectProvisioningError(() => sb.load())
    expect(activeError.exit).toBe(3)
    expect(activeError.message).toContain(active)
  })

  it('throws at the first broken file unless tolerant, which reports every broken layer', async () => {
    const user = await sb.write('home/config.user.toml', 'x = \n')
    const env = await sb.write('ws/config/dev-defaults.toml', '[oci\n')
    const first = await expectProvisioningError(() => sb.load({envName: 'dev'}))
    expect(first.message).toContain(user)
    expect(first.message).not.toContain(env)

    const loaded = await sb.load({envName: 'dev', tolerant: true})
    const errors = loaded.problems.filter((p) => p.severity === 'error')
    expect(errors.map((p) => p.file)).toEqual([user, env])
    expect(errors.every((p) => typeof p.line === 'number' && typeof p.column === 'number')).toBe(true)
    const status = Object.fromEntries(loaded.layers.map((l) => [l.layer, l.status]))
    expect(status).toMatchObject({user: 'error', environment: 'error', workspace: 'loaded'})
    expect(loaded.layers.find((l) => l.layer === 'user')?.note).toContain(user)
  })
})

describe('unreadable files', () => {
  it('reports a config path that is a folder (EISDIR) as exit 3 naming the file', async () => {
    const user = path.join(sb.home, 'config.user.toml')
    await mkdir(user)
    const error = await expectProvisioningError(() => sb.load())
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.exit).toBe(3)
    expect(error.message).toContain(`cannot read ${user}`)
    expect(error.message).toContain('EISDIR')
    expect(error.details).toMatchObject({file: user})
  })

  it('reports a file without read permission as exit 3 naming the file', async () => {
    const user = await sb.write('home/config.user.toml', '[oci]\nregistry = "x"\n')
    await chmod(user, 0o000)
    // As root (CI containers) chmod 000 provokes nothing: the same load runs as nobody.
    const error = isRoot ? await loadAsNobody(sb) : await expectProvisioningError(() => sb.load())
    expect(error.exit).toBe(3)
    expect(error.message).toContain(user)
    expect(error.hint).toContain('chmod')
  })
})

describe('schema errors and warnings', () => {
  it('rejects a value of the wrong type (exit 3) naming key, file and line', async () => {
    const user = await sb.write('home/config.user.toml', '[oci]\nregistry = "r"\nconcurrency = "many"\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.exit).toBe(3)
    expect(error.message).toContain('oci.concurrency must be an integer, got string "many"')
    expect(error.message).toContain(`${user}:3`)
    expect(error.details.problems).toEqual([expect.objectContaining({key: 'oci.concurrency', file: user, line: 3, severity: 'error'})])
  })

  it('rejects a wrong type coming from an environment variable, naming the variable', async () => {
    const error = await expectProvisioningError(() => sb.load({env: {...sb.env, PROVISIONING_OCI__TLS_ENABLED: 'yes'}}))
    expect(error.exit).toBe(3)
    expect(error.message).toContain('oci.tls_enabled must be a boolean')
    expect(error.message).toContain('PROVISIONING_OCI__TLS_ENABLED')
  })

  it('checks enums and minimums, and lists several errors at once', async () => {
    await sb.write('ws/config/provisioning.yaml', 'oci:\n  tool: docker\n  concurrency: 0\n')
    const error = await expectProvisioningError(() => sb.load())
    expect(error.exit).toBe(3)
    expect(error.message).toMatch(/^2 configuration errors/)
    expect(error.message).toContain('oci.tool must be one of auto, native, oras, got "docker"')
    expect(error.message).toContain('oci.concurrency must be at least 1, got 0')
  })

  it('only warns about unknown keys, with a "did you mean" hint for near misses', async () => {
    const ws = await sb.write('ws/config/provisioning.yaml', 'workspace:\n  name: demo\noci:\n  registy: typo.example\nzzz_totally_unrelated: 1\n')
    const loaded = await sb.load()
    expect(loaded.problems.every((p) => p.severity === 'warning')).toBe(true)
    const typo = loaded.problems.find((p) => p.key === 'oci.registy')
    expect(typo).toMatchObject({severity: 'warning', file: ws, line: 4, message: 'unknown key oci.registy', hint: 'did you mean oci.registry?'})
    const far = loaded.problems.find((p) => p.key === 'zzz_totally_unrelated')
    expect(far?.hint).not.toContain('did you mean')
    // The load still succeeds and keeps the value.
    expect((loaded.values.oci as Record<string, unknown>).registy).toBe('typo.example')
  })
})

describe('selection errors', () => {
  it('rejects an unknown mode from PROVISIONING_MODE (exit 3)', async () => {
    const env = {...sb.env, PROVISIONING_MODE: 'nosuch'}
    const error = await expectProvisioningError(() => sb.load({env}))
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.exit).toBe(3)
    expect(error.message).toContain('unknown mode "nosuch"')
    expect(error.message).toContain('PROVISIONING_MODE')
    expect(error.hint).toContain('cicd, enterprise, multi-user, solo')

    const tolerant = await sb.load({env, tolerant: true})
    expect(tolerant.problems).toEqual([expect.objectContaining({severity: 'error', message: expect.stringContaining('nosuch')})])
    expect(tolerant.layers.find((l) => l.layer === 'mode')?.status).toBe('not-selected')
  })

  it('fails with NotFoundError (exit 4) when --workspace points to a missing folder', async () => {
    const missing = path.join(sb.root, 'no-such-ws')
    const error = await expectProvisioningError(() => loadConfig({env: sb.env, cwd: sb.outside, workspace: missing}))
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error.exit).toBe(4)
    expect(error.code).toBe('E_NOT_FOUND')
    expect(error.message).toContain(missing)
  })

  it('fails with exit 4 when PROVISIONING_WORKSPACE names nothing', async () => {
    const error = await expectProvisioningError(() => loadConfig({env: {...sb.env, PROVISIONING_WORKSPACE: 'ghost'}, cwd: sb.outside}))
    expect(error.exit).toBe(4)
    expect(error.message).toContain('PROVISIONING_WORKSPACE=ghost')
  })

  it('fails with exit 4 when the infra folder does not exist', async () => {
    const error = await expectProvisioningError(() => sb.load({infra: 'nope'}))
    expect(error).toBeInstanceOf(NotFoundError)
    expect(error.exit).toBe(4)
    expect(error.code).toBe('E_NOT_FOUND')
    expect(error.message).toContain('"nope"')
    expect(error.message).toContain(path.join(sb.ws, 'infra', 'nope'))
    const viaEnv = await expectProvisioningError(() => sb.load({env: {...sb.env, PROVISIONING_INFRA: 'nope'}}))
    expect(viaEnv.exit).toBe(4)
  })

  it('refuses an infra name that escapes the infra folder', async () => {
    // <ws>/infra/../config exists, but is not an infrastructure.
    const error = await expectProvisioningError(() => sb.load({infra: '../config'}))
    expect(error.exit).toBe(4)
  })

  it('rejects an invalid environment name (exit 3)', async () => {
    const error = await expectProvisioningError(() => sb.load({envName: '../../etc/passwd'}))
    expect(error.exit).toBe(3)
    expect(error.message).toContain('invalid environment name')
  })
})
