import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {initWorkspace, type Sandbox, sandbox, writeText} from '../helpers/workspace.js'

describe('bad input outside config files', () => {
  let box: Sandbox
  beforeEach(async () => {
    box = await sandbox()
  })
  afterEach(() => box.cleanup())

  it('a malformed --set is a usage error (exit 2)', async () => {
    const result = await runCli(['config', 'show', '--set', 'novalue', '--json'], {env: box.env})
    expect(result.exitCode).toBe(2)
    expect(json<{error: {message: string}}>(result).error.message).toContain('key.path=value')
  })

  it('a corrupt workspace registry is a configuration error naming the file', async () => {
    const file = path.join(box.home, 'config', 'user_config.yaml')
    await writeText(file, 'workspaces: [oops\n')
    const result = await runCli(['workspace', 'list'], {env: box.env})
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain(`${file}:`)
    await writeText(file, 'workspaces: 5\n')
    const shape = await runCli(['workspace', 'list', '--json'], {env: box.env})
    expect(shape.exitCode).toBe(3)
    expect(json<{error: {hint: string}}>(shape).error.hint).toContain('workspace register')
  })

  it('a corrupt active-mode.yaml is a configuration error with a fix', async () => {
    await writeText(path.join(box.home, 'config', 'active-mode.yaml'), 'mode: [\n')
    expect((await runCli(['mode', 'current'], {env: box.env})).exitCode).toBe(3)
    await writeText(path.join(box.home, 'config', 'active-mode.yaml'), 'other: 1\n')
    const result = await runCli(['mode', 'current'], {env: box.env})
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain('mode switch')
  })

  it('an invalid --env name and a config file that is a folder are configuration errors', async () => {
    const ws = await initWorkspace(box)
    expect((await runCli(['config', 'show', '--env', '../../etc'], {env: box.env, cwd: ws})).exitCode).toBe(3)
    const {mkdir} = await import('node:fs/promises')
    await mkdir(path.join(box.home, 'config.user.toml'))
    const result = await runCli(['config', 'show'], {env: box.env, cwd: ws})
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain('config.user.toml')
  })
})
