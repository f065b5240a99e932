import {resolveWorkspace} from '../../lib/deps/resolve-workspace.js'
import {provisioningHome} from '../../lib/util/home.js'
import {auditRun} from '../audit-run.js'
import type {FastPath} from '../fast-path.js'
import {formatResolveWithChanges} from '../format/deps.js'
import {printable} from '../printable.js'
import {reportFailure, writePlainJson} from '../render-error.js'
import {defaultSession, printText} from './session.js'

/** `dep resolve` following its lock, as commands/dep/resolve.ts runs it without terminal progress. */
export async function depResolve(fast: Extract<FastPath, {command: 'dep resolve'}>): Promise<void> {
  let failure: unknown
  try {
    // No progress is drawn on this path (fast-path.ts sends terminals to oclif), and without --verbose none is logged.
    const result = await resolveWorkspace({config: defaultSession().config, frozen: fast.frozen, offline: fast.offline, dryRun: false, force: false})
    if (!fast.quiet) for (const warning of result.warnings) process.stderr.write(`${printable(`Warning: ${warning}`)}\n`)
    if (fast.json) writePlainJson(result)
    else printText(await formatResolveWithChanges(result))
  } catch (error) {
    failure = error
    reportFailure(error, {json: fast.json, verbose: false, writeJson: writePlainJson})
  }
  await auditRun(provisioningHome(process.env), {command: 'dep resolve', error: failure})
}
