import {readdir} from 'node:fs/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * A reference whose first part is not a host is a usage error (exit 2) before anything is
 * looked up: `oci pull ../redis:7.2.0` used to resolve the host ".." (exit 6).
 */
describe('hostile references (built CLI)', () => {
  let box: Sandbox
  beforeAll(async () => {
    box = await sandbox()
  })
  afterAll(() => box.cleanup())

  it.each([
    ['../redis:7.2.0', '".." is not a registry host'],
    ['./redis', '"." is not a registry host'],
    ['oci://a..b/ns/redis:1.0.0', '"a..b" is not a registry host'],
    ['localhost:5000/../redis:1.0.0', 'repository "../redis" must be lower-case components'],
  ])('oci pull %s is exit 2 (%s), writing nothing', async (reference, expected) => {
    const started = Date.now()
    const result = await runCli(['oci', 'pull', reference, '--json'], {env: box.env, cwd: box.root})
    expect(result.exitCode, result.stdout + result.stderr).toBe(2)
    const {error} = json<{error: {code: string; message: string; exit: number}}>(result)
    expect(error).toMatchObject({code: 'E_USAGE', exit: 2})
    expect(error.message).toContain(expected)
    // No DNS lookup, no connection attempt with its retries.
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(await readdir(box.root)).toEqual(['home'])
  })
})
