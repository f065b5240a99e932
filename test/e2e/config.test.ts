import {execa} from 'execa'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {initWorkspace, type Sandbox, sandbox, writeText} from '../helpers/workspace.js'

interface Origin {
  key: string
  value: unknown
  layer: string
  file?: string
  line?: number
  source?: string
  overridden: Array<{layer: string; file?: string; value: unknown}>
}

describe('config commands (built CLI)', () => {
  let box: Sandbox
  let ws: string
  beforeEach(async () => {
    box = await sandbox()
    ws = await initWorkspace(box)
    await writeText(path.join(box.home, 'config.user.toml'), '[oci]\nregistry = "user.example:5000"\n')
    await writeText(path.join(ws, 'config', 'provisioning.yaml'), 'workspace:\n  name: demo\nenvironment: dev\noci:\n  registry: ws.example:5000\n')
    await writeText(path.join(ws, 'config', 'dev-defaults.toml'), '# dev\n[oci]\nregistry = "env.example:5000"\n')
    await writeText(path.join(ws, 'infra', 'prod', 'config.toml'), '# prod infra\n\n[oci]\nnamespace = "prod-ext"\nregistry = "infra.example:5000"\n')
  })
  afterEach(() => box.cleanup())

  it('resolves a key set in five layers to the infra value and names infra/<name>/config.toml:<line>', async () => {
    const result = await runCli(['config', 'show', 'oci.registry', '--origin', '--infra', 'prod', '--json'], {env: box.env, cwd: ws})
    expect(result.exitCode).toBe(0)
    const doc = json<{value: string; origins: Origin[]}>(result)
    expect(doc.value).toBe('infra.example:5000')
    const [origin] = doc.origins
    expect(origin.layer).toBe('infrastructure')
    expect(origin.file).toBe(path.join(ws, 'infra', 'prod', 'config.toml'))
    expect(origin.line).toBe(5)
    expect(origin.overridden.map((o) => [o.layer, o.value])).toEqual([
      ['environment', 'env.example:5000'],
      ['workspace', 'ws.example:5000'],
      ['user', 'user.example:5000'],
      ['defaults', 'localhost:{{platform.services.oci-registry.port}}'],
    ])

    const human = await runCli(['config', 'show', 'oci.registry', '--origin', '--infra', 'prod'], {env: box.env, cwd: ws})
    expect(human.stdout).toContain('infra/prod/config.toml:5')
    expect(human.stdout).toContain('overrides environment config/dev-defaults.toml:3')
  })

  it('lets PROVISIONING_OCI__REGISTRY beat every file and --set beat the variable', async () => {
    const env = {...box.env, PROVISIONING_OCI__REGISTRY: 'envvar.example:1'}
    const fromEnv = await runCli(['config', 'get', 'oci.registry', '--infra', 'prod'], {env, cwd: ws})
    expect(fromEnv.stdout.trim()).toBe('envvar.example:1')
    const fromFlag = await runCli(['config', 'get', 'oci.registry', '--infra', 'prod', '--set', 'oci.registry=flag.example:2'], {env, cwd: ws})
    expect(fromFlag.stdout.trim()).toBe('flag.example:2')
    const origin = json<{origins: Origin[]}>(
      await runCli(['config', 'show', 'oci.registry', '--origin', '--json', '--set', 'oci.registry=flag.example:2'], {env, cwd: ws}),
    )
    expect(origin.origins[0]).toMatchObject({layer: 'runtime', source: '--set oci.registry'})
    expect(origin.origins[0].overridden[0]).toMatchObject({layer: 'runtime', source: 'PROVISIONING_OCI__REGISTRY'})
  })

  it('interpolates paths, env, git and now', async () => {
    await execa('git', ['init', '-q', '-b', 'feature-x'], {cwd: ws})
    await writeText(
      path.join(ws, 'config', 'provisioning.yaml'),
      [
        'vars:',
        '  base: "{{paths.base}}/x"',
        '  home: "{{env.HOME}}"',
        '  branch: "{{git.branch}}"',
        '  day: "{{now.date}}"',
        '  ws: "{{workspace.name}}@{{workspace.path}}"',
        '',
      ].join('\n'),
    )
    const doc = json<{value: Record<string, string>}>(await runCli(['config', 'show', 'vars', '--json'], {env: {...box.env, HOME: '/home/tester'}, cwd: ws}))
    expect(doc.value.base).toBe(`${box.home}/x`)
    expect(doc.value.home).toBe('/home/tester')
    expect(doc.value.branch).toBe('feature-x')
    expect(doc.value.day).toBe(new Date().toISOString().slice(0, 10))
    expect(doc.value.ws).toBe(`demo@${ws}`)
  })

  it('fails with exit 3 naming the cycle', async () => {
    await writeText(path.join(ws, 'config', 'provisioning.yaml'), 'vars:\n  a: "{{vars.b}}"\n  b: "{{vars.a}}"\n')
    const result = await runCli(['config', 'show', '--json'], {env: box.env, cwd: ws})
    expect(result.exitCode).toBe(3)
    const {error} = json<{error: {code: string; message: string; exit: number}}>(result)
    expect(error.code).toBe('E_CONFIG')
    expect(error.exit).toBe(3)
    expect(error.message).toMatch(/vars\.a -> vars\.b -> vars\.a|vars\.b -> vars\.a -> vars\.b/)
    expect(error.message).toContain('provisioning.yaml')
  })

  it('reports TOML and YAML syntax errors with file, line and column (exit 3)', async () => {
    await writeText(path.join(box.home, 'config.user.toml'), '[oci]\nregistry = \n')
    const toml = await runCli(['config', 'show'], {env: box.env, cwd: ws})
    expect(toml.exitCode).toBe(3)
    expect(toml.stderr).toMatch(new RegExp(`${path.join(box.home, 'config.user.toml').replaceAll('/', '\\/')}:2:\\d+: syntax error`))

    await writeText(path.join(box.home, 'config.user.toml'), '')
    await writeText(path.join(ws, 'config', 'provisioning.yaml'), 'oci:\n  registry: [unclosed\n')
    const yaml = await runCli(['config', 'show', '--json'], {env: box.env, cwd: ws})
    expect(yaml.exitCode).toBe(3)
    const {error} = json<{error: {message: string; details: {file: string; line: number; column: number}}}>(yaml)
    expect(error.details.file).toBe(path.join(ws, 'config', 'provisioning.yaml'))
    expect(error.details.line).toBeGreaterThan(0)
    expect(error.details.column).toBeGreaterThan(0)
  })

  it('validates every layer at once: type errors, unknown keys as warnings', async () => {
    await writeText(path.join(box.home, 'config.user.toml'), '[oci]\nconcurrency = "many"\nregsitry = "typo"\n')
    await writeText(path.join(ws, 'config', 'provisioning.yaml'), 'oci:\n  tls_enabled: "yes"\n')
    const result = await runCli(['config', 'validate', '--json'], {env: box.env, cwd: ws})
    expect(result.exitCode).toBe(3)
    const {error} = json<{error: {details: {errors: Array<{key: string; line: number}>; warnings: Array<{key: string; hint: string}>}}}>(result)
    expect(error.details.errors.map((e) => e.key).sort()).toEqual(['oci.concurrency', 'oci.tls_enabled'])
    expect(error.details.errors.every((e) => e.line > 0)).toBe(true)
    expect(error.details.warnings[0]).toMatchObject({key: 'oci.regsitry'})
    expect(error.details.warnings[0].hint).toContain('oci.registry')

    await writeText(path.join(box.home, 'config.user.toml'), '[oci]\nregsitry = "typo"\n')
    await writeText(path.join(ws, 'config', 'provisioning.yaml'), 'workspace:\n  name: demo\n')
    const ok = await runCli(['config', 'validate'], {env: box.env, cwd: ws})
    expect(ok.exitCode).toBe(0)
    expect(ok.stdout).toContain('1 warning')
  })

  it("suggests an unknown key's nearest known key by the shared did-you-mean rule (nearest wins, a third of its length in edits)", async () => {
    await writeText(
      path.join(ws, 'config', 'provisioning.yaml'),
      'workspace:\n  name: demo\npaths:\n  bache: x\noci:\n  nmespaec: x\n  zzz_totally_unrelated: x\n',
    )
    const result = await runCli(['config', 'validate', '--json'], {env: box.env, cwd: ws})
    expect(result.exitCode, result.stderr).toBe(0)
    const hints = Object.fromEntries(json<{warnings: Array<{key: string; hint: string}>}>(result).warnings.map((w) => [w.key, w.hint]))
    expect(hints).toEqual({
      // One edit from paths.cache, two from paths.base (listed first among the known keys).
      'paths.bache': 'did you mean paths.cache?',
      // Three edits: within a third of the key's length.
      'oci.nmespaec': 'did you mean oci.namespace?',
      'oci.zzz_totally_unrelated': 'unknown keys are ignored; remove it or check the spelling',
    })
  })

  it('lists the seven layers with their status', async () => {
    const doc = json<{layers: Array<{layer: string; status: string}>}>(await runCli(['config', 'layers', '--json', '--infra', 'prod'], {env: box.env, cwd: ws}))
    expect(doc.layers.map((l) => l.layer)).toEqual(['defaults', 'mode', 'user', 'workspace', 'environment', 'infrastructure', 'runtime'])
    expect(doc.layers.slice(0, 6).map((l) => l.status)).toEqual(['loaded', 'loaded', 'loaded', 'loaded', 'loaded', 'loaded'])
  })

  it('fails with exit 4 for an unknown key, a missing workspace path and a missing infra', async () => {
    expect((await runCli(['config', 'get', 'oci.nope'], {env: box.env, cwd: ws})).exitCode).toBe(4)
    const missing = await runCli(['config', 'show', '--workspace', path.join(box.root, 'nowhere')], {env: box.env})
    expect(missing.exitCode).toBe(4)
    expect(missing.stderr).toContain('nowhere')
    expect((await runCli(['config', 'show', '--infra', 'ghost'], {env: box.env, cwd: ws})).exitCode).toBe(4)
  })

  it('never shows secret values', async () => {
    await writeText(path.join(ws, 'config', 'provisioning.yaml'), 'vars:\n  api_token: s3cr3t-value\n')
    for (const args of [
      ['config', 'show'],
      ['config', 'show', '--json'],
      ['config', 'get', 'vars.api_token'],
      ['config', 'show', 'vars', '--origin'],
    ]) {
      const result = await runCli(args, {env: box.env, cwd: ws})
      expect(result.stdout + result.stderr).not.toContain('s3cr3t-value')
    }
  })
})
