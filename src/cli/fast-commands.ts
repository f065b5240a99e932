import {readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {Session} from '../lib/session/session.js'
import {provisioningHome} from '../lib/util/home.js'
import type {FastPath} from './fast-path.js'
import {printable} from './printable.js'
import {reportFailure, writePlainJson} from './render-error.js'

/**
 * Runs a fast path (fast-path.ts) the way its oclif command would: the same library call,
 * the same rendering, errors and audit line. Returns false when the run must go to oclif
 * after all (decided before anything is printed).
 */
export async function runFastPath(fast: FastPath, root: string): Promise<boolean> {
  switch (fast.command) {
    case 'version':
      return printVersion(root)
    case 'config get':
      await configGet(fast)
      return true
    case 'dep resolve':
      await depResolve(fast)
      return true
  }
}

/** oclif's `--version` line (Config#userAgent): `name/version platform-arch node-vX`. */
async function printVersion(root: string): Promise<boolean> {
  // oclif names these differently on Windows, WSL and 32-bit x86: there it answers itself.
  if (!['linux', 'darwin'].includes(process.platform) || os.release().toLowerCase().includes('microsoft')) return false
  if (!['x64', 'arm64'].includes(process.arch)) return false
  const pjson = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {name: string; version: string}
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
  return true
}

function session(): Session {
  // The session a command builds when no global flag is given (base-command.ts).
  return new Session({workspace: undefined, envName: undefined, infra: undefined, sets: []})
}

async function configGet(fast: Extract<FastPath, {command: 'config get'}>): Promise<void> {
  try {
    const [{getConfigValue}, {scalar}] = await Promise.all([import('../lib/config/query.js'), import('./format/config.js')])
    const result = await getConfigValue(await session().config(), fast.key)
    if (fast.json) writePlainJson(result)
    else printText(scalar(result.value))
  } catch (error) {
    reportFailure(error, {json: fast.json, verbose: false, writeJson: writePlainJson})
  }
}

async function depResolve(fast: Extract<FastPath, {command: 'dep resolve'}>): Promise<void> {
  let failure: unknown
  try {
    const [{resolveWorkspace}, {formatResolveWithChanges}] = await Promise.all([import('../lib/deps/resolve-workspace.js'), import('./format/deps.js')])
    // No progress is drawn on this path (fast-path.ts sends terminals to oclif), and without --verbose none is logged.
    const result = await resolveWorkspace({config: session().config, frozen: fast.frozen, offline: fast.offline, dryRun: false, force: false})
    if (!fast.quiet) for (const warning of result.warnings) process.stderr.write(`${printable(`Warning: ${warning}`)}\n`)
    if (fast.json) writePlainJson(result)
    else printText(await formatResolveWithChanges(result))
  } catch (error) {
    failure = error
    reportFailure(error, {json: fast.json, verbose: false, writeJson: writePlainJson})
  }
  const {auditRun} = await import('./audit-run.js')
  await auditRun(provisioningHome(process.env), {command: 'dep resolve', error: failure})
}

/** A human result as oclif's `this.log` prints it; nothing for an empty one (base-command.ts present). */
function printText(text: string): void {
  if (text !== '') process.stdout.write(`${printable(text)}\n`)
}
