import {resolveWorkspace} from '../../lib/deps/resolve-workspace.js'
import type {FastPath} from '../fast-path.js'
import {formatResolveWithChanges} from '../format/deps.js'
import {printable} from '../printable.js'
import {defaultSession, printText, runAsCommand} from './session.js'
import {writeStdoutJson} from './stdout.js'

/** The bundle's entry (fast-path.ts FAST_PATH_BUNDLES). */
export async function run(fast: FastPath): Promise<boolean> {
  if (fast.command !== 'dep resolve') return false
  await depResolve(fast)
  return true
}

/** `dep resolve` following its lock, as commands/dep/resolve.ts runs it without terminal progress. */
export async function depResolve(fast: Extract<FastPath, {command: 'dep resolve'}>): Promise<void> {
  await runAsCommand({json: fast.json, audit: () => ({command: 'dep resolve'})}, async () => {
    // No progress is drawn on this path (fast-path.ts sends terminals to oclif), and without --verbose none is logged.
    const result = await resolveWorkspace({config: defaultSession().config, frozen: fast.frozen, offline: fast.offline, dryRun: false, force: false})
    if (!fast.quiet) for (const warning of result.warnings) process.stderr.write(`${printable(`Warning: ${warning}`)}\n`)
    if (fast.json) writeStdoutJson(result)
    else printText(await formatResolveWithChanges(result))
  })
}
