import {describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'

describe('help and version', () => {
  it('--help lists the built topics and no unbuilt ones', async () => {
    const result = await runCli(['--help'])
    expect(result.exitCode).toBe(0)
    for (const topic of ['config', 'workspace', 'mode', 'oci', 'generate', 'dep', 'module', 'audit', 'platform', 'oci-registry'])
      expect(result.stdout).toMatch(new RegExp(`^\\s+${topic}\\s`, 'm'))
  })

  it('--version prints name and version', async () => {
    const result = await runCli(['--version'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/^provisioning\/\d+\.\d+\.\d+ /)
  })

  it('topic help shows the commands and the global flags', async () => {
    const result = await runCli(['config', 'show', '--help'])
    expect(result.stdout).toContain('--origin')
    expect(result.stdout).toContain('GLOBAL FLAGS')
    expect(result.stdout).toContain('--workspace')
  })

  it('an unknown command exits non-zero without a stack trace', async () => {
    const result = await runCli(['nosuch', 'thing'])
    expect(result.exitCode).not.toBe(0)
    expect(result.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/)
  })
})
