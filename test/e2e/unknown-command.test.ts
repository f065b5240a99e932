import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

import {cliBin, json, runCli} from '../helpers/cli.js'

interface ErrorDoc {
  error: {code: string; message: string; exit: number; hint?: string; details: {command?: string; suggestions?: string[]}}
}

describe('an unknown command', () => {
  it('without a terminal: names the nearest command on stderr, exit 2 (usage), nothing on stdout', async () => {
    const result = await runCli(['oci', 'pusj'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('"oci pusj" is not a provisioning command. Did you mean "oci push"?')
    expect(result.stderr).toContain('provisioning help oci')
    expect(result.stdout).toBe('')
  })

  it('under --json: the usage error document with the suggestions, exit 2', async () => {
    const result = await runCli(['oci', 'pusj', '--json'])
    expect(result.exitCode).toBe(2)
    const doc = json<ErrorDoc>(result)
    expect(doc.error.code).toBe('E_USAGE')
    expect(doc.error.exit).toBe(2)
    expect(doc.error.details.command).toBe('oci pusj')
    expect(doc.error.details.suggestions?.[0]).toBe('oci push')
    expect(doc.error.message).toContain('Did you mean "oci push"?')
  })

  it('a word close to nothing: no suggestion, still a usage error with an empty list', async () => {
    const text = await runCli(['xyzzyplugh'])
    expect(text.exitCode).toBe(2)
    expect(text.stderr).toContain('"xyzzyplugh" is not a provisioning command.')
    expect(text.stderr).not.toContain('Did you mean')
    const doc = json<ErrorDoc>(await runCli(['xyzzyplugh', '--json']))
    expect(doc.error.details.suggestions).toEqual([])
  })

  it('a --json after "--" is an argument, not the flag: the text error, stdout empty', async () => {
    const result = await runCli(['oci', 'pusj', '--', '--json'])
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('Did you mean "oci push"?')
  })

  it('under a terminal nobody answers: prints the suggestion and exits at once, never asks to run it', async () => {
    // script(1) gives the CLI a pseudo-terminal for stdin and stdout/stderr; our own stdin is empty.
    const result = await execa('script', ['-qec', `node ${cliBin} oci pusj`, '/dev/null'], {reject: false, input: '', timeout: 60_000, env: {NO_COLOR: '1'}})
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toContain('"oci pusj" is not a provisioning command. Did you mean "oci push"?')
    expect(result.stdout).not.toMatch(/\(Y\/n\)|run it instead/i)
  })
})
