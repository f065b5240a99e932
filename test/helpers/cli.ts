import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const cliBin = path.join(repoRoot, 'bin', 'run.js')

export interface CliResult {
  stdout: string
  stderr: string
  exitCode: number
}

export interface CliOptions {
  env?: Record<string, string | undefined>
  cwd?: string
  input?: string
  /** Kill the process after this long (default 60 s); many processes at once on loaded cores need more. */
  timeoutMs?: number
}

/** Runs the built CLI as a subprocess, with no TTY and a clean PROVISIONING_* environment. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = {}
  for (const key of Object.keys(process.env)) if (key.startsWith('PROVISIONING_')) env[key] = undefined
  const result = await execa('node', [cliBin, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: {...env, NO_COLOR: '1', ...options.env},
    extendEnv: true,
    reject: false,
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 60_000,
  })
  return {stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? -1}
}

/** Parses stdout as exactly one JSON document (fails the test otherwise). */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`stdout is not one JSON document:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  }
}

/** A temp folder removed by the returned cleanup. */
export async function tempDir(prefix = 'prov-test-'): Promise<{dir: string; cleanup: () => Promise<void>}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  return {dir, cleanup: () => rm(dir, {recursive: true, force: true})}
}
