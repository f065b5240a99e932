import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, repoRoot, runCli} from '../helpers/cli.js'
import {alive, killRecordedServices} from '../helpers/platform.js'
import {freePort} from '../helpers/processes.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * The built-in oci-registry service on a fresh PROVISIONING_HOME: Debian's docker-registry
 * started by the CLI itself on a free port (port 5000 may be taken on CI), and `oci push`
 * with default settings landing there because oci.registry follows the service port.
 */
describe('oci-registry service', () => {
  let box: Sandbox
  let port: number
  const example = path.join(repoRoot, 'templates', 'examples', 'providers', 'upcloud', '1.5.0')
  const cli = (...args: string[]) => runCli(args, {env: box.env, cwd: box.root})

  beforeAll(async () => {
    box = await sandbox()
    port = await freePort()
    await writeFile(path.join(box.home, 'config.user.toml'), `[platform.services.oci-registry]\nport = ${port}\n`)
  })

  afterAll(async () => {
    await killRecordedServices(box.home)
    await box.cleanup()
  })

  it('oci.registry follows the service port', async () => {
    const result = await cli('config', 'get', 'oci.registry')
    expect(result.stdout.trim()).toBe(`localhost:${port}`)
    const origin = json<{origins: Array<{key: string; layer: string}>}>(await cli('config', 'show', 'oci.registry', '--origin', '--json'))
    expect(origin.origins[0]).toMatchObject({key: 'oci.registry', layer: 'defaults'})
  })

  it('platform start oci-registry -> oci push with defaults -> oci tags -> oci-registry stop', async () => {
    const started = await cli('platform', 'start', 'oci-registry', '--json')
    expect(started.exitCode, started.stdout + started.stderr).toBe(0)
    const service = json<{services: Array<{name: string; action: string; pid: number; port: number}>}>(started).services[0]
    expect(service).toMatchObject({name: 'oci-registry', action: 'started', port})
    const config = await readFile(path.join(box.home, 'oci-registry', 'config.yml'), 'utf8')
    expect(config).toContain(`addr: "127.0.0.1:${port}"`)
    expect(config).toMatch(/delete:\n\s+enabled: true/)

    const pushed = await cli('oci', 'push', example, '--json')
    expect(pushed.exitCode, pushed.stderr).toBe(0)
    expect(json<{reference: string}>(pushed).reference).toContain(`localhost:${port}/provisioning-extensions/upcloud:1.5.0`)
    const tags = await cli('oci', 'tags', 'upcloud', '--json')
    expect(tags.exitCode, tags.stderr).toBe(0)
    expect(JSON.stringify(json(tags))).toContain('1.5.0')

    const status = json<{state: string; pid: number; registry: {address: string}}>(await cli('oci-registry', 'status', '--json'))
    expect(status).toMatchObject({state: 'running', pid: service.pid, registry: {address: `localhost:${port}`}})
    expect((await cli('platform', 'health', 'oci-registry')).exitCode).toBe(0)

    const stopped = await cli('oci-registry', 'stop', '--json')
    expect(stopped.exitCode).toBe(0)
    expect(json<{services: Array<{action: string}>}>(stopped).services[0].action).toBe('stopped')
    expect(alive(service.pid)).toBe(false)
    expect(json<{state: string}>(await cli('oci-registry', 'status', '--json')).state).toBe('stopped')
  })

  it('oci-registry start keeps the storage: what was pushed is still there', async () => {
    const started = await cli('oci-registry', 'start')
    expect(started.exitCode, started.stderr).toBe(0)
    expect(started.stdout).toContain(`localhost:${port}`)
    const tags = await cli('oci', 'tags', 'upcloud', '--json')
    expect(JSON.stringify(json(tags))).toContain('1.5.0')
    expect((await cli('oci-registry', 'stop')).exitCode).toBe(0)
  })

  it('a registry command that is not installed is reported with what to install', async () => {
    const result = await cli('oci-registry', 'start', '--set', 'platform.services.oci-registry.command=/nonexistent/zot', '--json')
    expect(result.exitCode).toBe(4)
    expect(json<{error: {hint: string}}>(result).error.hint).toMatch(/docker-registry|zot/)
  })

  it('audits start and stop', async () => {
    const audit = json<{records: Array<{command: string}>}>(await cli('audit', '--json'))
    const commands = audit.records.map((r) => r.command)
    expect(commands).toEqual(expect.arrayContaining(['platform start', 'oci-registry start', 'oci-registry stop']))
  })
})
