import {readFile} from 'node:fs/promises'
import os from 'node:os'

import {execa} from 'execa'

import {cliBin} from './cli.js'

export interface PtyResult {
  /** Everything the terminal showed (stderr, and stdout unless it went to a file). */
  terminal: string
  /** What the CLI wrote to stdout, when stdoutFile was given. */
  stdout?: string
  exitCode: number
}

export interface PtyOptions {
  env: Record<string, string>
  cwd?: string
  /** stdout goes to this file (`> FILE` inside the terminal), stderr stays on the terminal. */
  stdoutFile?: string
  /** Typed at the terminal (after the CLI started; the terminal buffers it until read). */
  input?: string
}

const shellQuote = (word: string) => `'${word.replaceAll("'", String.raw`'\''`)}'`

/**
 * Runs the built CLI in a real pseudo-terminal (util-linux `script`): stdin and stderr are
 * a TTY, stdout too unless it is redirected to a file. The terminal gets a size (a pty
 * created without one has 0 columns, which no real terminal has).
 */
export async function runInPty(args: string[], options: PtyOptions): Promise<PtyResult> {
  const redirect = options.stdoutFile ? ` > ${shellQuote(options.stdoutFile)}` : ''
  const command = `stty cols 120 rows 40; exec node ${[cliBin, ...args].map(shellQuote).join(' ')}${redirect}`
  const env: Record<string, string | undefined> = {}
  for (const key of Object.keys(process.env)) if (key.startsWith('PROVISIONING_') || key === 'CI') env[key] = undefined
  const result = await execa('script', ['-qec', command, '/dev/null'], {
    cwd: options.cwd ?? os.tmpdir(),
    env: {...env, NO_COLOR: '1', TERM: 'xterm', ...options.env},
    extendEnv: true,
    reject: false,
    input: options.input ?? '',
    timeout: 120_000,
  })
  const stdout = options.stdoutFile ? await readFile(options.stdoutFile, 'utf8') : undefined
  return {terminal: String(result.stdout), stdout, exitCode: result.exitCode ?? -1}
}
