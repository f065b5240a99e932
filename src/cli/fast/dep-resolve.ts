import {resolveWorkspace} from '../../lib/deps/resolve-workspace.js'
import {provisioningHome} from '../../lib/util/home.js'
import {auditRun} from '../audit-run.js'
import type {FastPath} from '../fast-path.js'
import {formatResolveWithChanges} from '../format/deps.js'
import {printable} from '../printable.js'
import {reportFailure} from '../render-error.js'
import {defaultSession, printText} from './session.js'
import {writeStdoutJson} from './stdout.js'

/** The bundle's entry (fast-path.ts FAST_PATH_BUNDLES). */
export async function run(fast: FastPath): Promise<boolean> {
  if (fast.command !== 'dep resolve') return false
  await depResolve(fast)
  return true
}

/** `dep resolve` following its lock, as commands/dep/resolve.ts runs it without terminal progress. */
export async function depResolve(fast: Extract<FastPath, {command: 'dep resolve'}>): Promise<void> {
  let failure: unknown
  try {
    await resolve()
  } finally {
    // Also when printing failed (a full disk): the run changed the workspace, and oclif audits it as well.
    await auditRun(provisioningHome(process.env), {command: 'dep resolve', error: failure})
  }

  async function resolve(): Promise<void> {
    try {
      // No progress is drawn on this path (fast-path.ts sends terminals to oclif), and without --verbose none is logged.
      const result = await resolveWorkspace({config: defaultSession().config, frozen: fast.frozen, offline: fast.offline, dryRun: false, force: false})
      if (!fast.quiet) for (const warning of result.warnings) process.stderr.write(`${printable(`Warning: ${warning}`)}\n`)
      if (fast.json) writeStdoutJson(result)
      else printText(await formatResolveWithChanges(result))
    } catch (error) {
      failure = error
      reportFailure(error, {json: fast.json, verbose: false, writeJson: writeStdoutJson})
    }
  }
}
