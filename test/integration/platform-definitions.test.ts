import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ConfigError} from '../../src/lib/errors.js'
import {platformSetup} from '../../src/lib/platform/setup.js'
import {prepareRegistry} from '../../src/lib/platform/oci-registry.js'
import {startOrder, stopOrder} from '../../src/lib/platform/order.js'
import {Session} from '../../src/lib/session/session.js'
import {json, runCli} from '../helpers/cli.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/** Service definitions read from real config layers: defaults, validation (exit 3 naming the key), ordering. */
describe('platform service definitions', () => {
  let box: Sandbox
  const load = async (toml: string) => {
    await writeFile(path.join(box.home, 'config.user.toml'), toml)
    return platformSetup(await new Session({env: {...box.env, PATH: process.env.PATH}, cwd: box.root}).config())
  }
  const problemsOf = async (toml: string): Promise<ConfigError> => {
    try {
      await load(toml)
    } catch (error) {
      if (error instanceof ConfigError) return error
      throw error
    }
    throw new Error('expected a ConfigError')
  }

  beforeAll(async () => {
    box = await sandbox()
  })
  afterAll(() => box.cleanup())

  it('ships the reference services and ports', async () => {
    const ctx = await load('')
    const ports = Object.fromEntries([...ctx.definitions.values()].map((d) => [d.name, d.port]))
    expect(ports).toEqual({
      'api-gateway': 8082,
      'control-center': 3000,
      coredns: 5353,
      gitea: 3001,
      'mcp-server': 8081,
      'oci-registry': 5000,
      orchestrator: 8080,
    })
    expect(ctx.definitions.get('oci-registry')).toMatchObject({
      builtin: 'oci-registry',
      autoStart: true,
      health: {type: 'http', url: 'http://127.0.0.1:5000/v2/', status: 200},
    })
    expect(ctx.definitions.get('control-center')?.dependsOn).toEqual(['orchestrator'])
    expect(ctx.paths.root).toBe(path.join(box.home, 'services'))
  })

  it('the health URL and oci.registry follow a changed port', async () => {
    const ctx = await load('[platform.services.oci-registry]\nport = 5123\n')
    expect(ctx.definitions.get('oci-registry')?.health).toMatchObject({url: 'http://127.0.0.1:5123/v2/'})
    const result = await runCli(['config', 'get', 'oci.registry'], {env: box.env})
    expect(result.stdout.trim()).toBe('localhost:5123')
  })

  it('applies defaults: tcp health on the port, timeouts, no dependencies', async () => {
    const ctx = await load('[platform.services.x]\ncommand = "x"\nport = 7001\n[platform.services.y]\ncommand = "y"\n')
    expect(ctx.definitions.get('x')).toMatchObject({
      health: {type: 'tcp', host: '127.0.0.1', port: 7001},
      startTimeoutSeconds: 30,
      stopGraceSeconds: 10,
      autoStart: false,
      dependsOn: [],
    })
    expect(ctx.definitions.get('y')?.health).toEqual({type: 'process'})
  })

  it('rejects an unknown dependency, naming the key and the file', async () => {
    const error = await problemsOf('[platform.services.x]\ncommand = "x"\ndepends_on = ["ghost"]\n')
    expect(error.exit).toBe(3)
    expect(error.message).toContain('platform.services.x.depends_on: unknown service "ghost"')
    expect(error.message).toContain('config.user.toml')
  })

  it('rejects a cycle with its whole path', async () => {
    const error = await problemsOf('[platform.services.p]\ncommand = "p"\ndepends_on = ["q"]\n[platform.services.q]\ncommand = "q"\ndepends_on = ["p"]\n')
    expect(error.message).toContain('dependency cycle: p -> q -> p')
  })

  it('rejects a bad health type and reports every problem at once', async () => {
    const error = await problemsOf('[platform.services.h]\ncommand = "h"\nport = "eighty"\nhealth = {type = "smoke"}\n[platform.services.n]\nargs = ["a"]\n')
    expect(error.message).toContain('platform.services.h.health.type: must be one of http, tcp, command, file, got "smoke"')
    expect(error.message).toContain('platform.services.h.port')
    expect(error.message).toContain('platform.services.n.command: is required')
  })

  it('the CLI exits 3 with a JSON error for an invalid definition', async () => {
    await writeFile(path.join(box.home, 'config.user.toml'), '[platform.services.x]\ncommand = "x"\ndepends_on = ["ghost"]\n')
    for (const command of [
      ['platform', 'list'],
      ['platform', 'status'],
      ['platform', 'start', 'x'],
    ]) {
      const result = await runCli([...command, '--json'], {env: box.env})
      expect(result.exitCode).toBe(3)
      expect(json<{error: {code: string; message: string}}>(result).error).toMatchObject({
        code: 'E_CONFIG',
        message: expect.stringContaining('platform.services.x.depends_on'),
      })
    }
  })

  it('orders starts dependencies first and stops dependents first', async () => {
    const ctx = await load(`
[platform.services.db]
command = "db"
[platform.services.api]
command = "api"
depends_on = ["db", "cache"]
[platform.services.cache]
command = "cache"
[platform.services.web]
command = "web"
depends_on = ["api"]
`)
    expect(startOrder(ctx.definitions, ['web'])).toEqual(['cache', 'db', 'api', 'web'])
    expect(startOrder(ctx.definitions, ['db'])).toEqual(['db'])
    expect(stopOrder(ctx.definitions, ['db'], new Set(['db', 'api', 'web', 'cache']))).toEqual(['web', 'api', 'db'])
    expect(stopOrder(ctx.definitions, ['db'], new Set(['db']))).toEqual(['db'])
  })

  it('writes a loopback, delete-enabled config for distribution and for zot', async () => {
    const distribution = await prepareRegistry(box.home, '/usr/bin/docker-registry', 5077)
    expect(distribution.args).toEqual(['serve', path.join(box.home, 'oci-registry', 'config.yml')])
    const yaml = await readFile(distribution.configFile, 'utf8')
    expect(yaml).toContain('addr: "127.0.0.1:5077"')
    expect(yaml).toContain(`rootdirectory: "${path.join(box.home, 'oci-registry', 'storage')}"`)
    await mkdir(path.join(box.root, 'bin'), {recursive: true})
    const zot = await prepareRegistry(box.home, path.join(box.root, 'bin', 'zot'), 5078)
    const config = JSON.parse(await readFile(zot.configFile, 'utf8')) as {http: {address: string; port: string}; storage: {rootDirectory: string}}
    expect(config.http).toEqual({address: '127.0.0.1', port: '5078'})
    expect(config.storage.rootDirectory).toBe(path.join(box.home, 'oci-registry', 'storage'))
  })
})
