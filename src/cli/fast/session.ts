import {Session} from '../../lib/session/session.js'
import {provisioningHome} from '../../lib/util/home.js'
import {auditRun} from '../audit-run.js'
import {printable} from '../printable.js'
import {reportFailure} from '../render-error.js'
import {writeStdout, writeStdoutJson} from './stdout.js'

/** The session a command builds when no global flag is given (base-command.ts). */
export function defaultSession(): Session {
  return new Session({workspace: undefined, envName: undefined, infra: undefined, sets: []})
}

/** A human result as oclif's `this.log` prints it; nothing for an empty one (base-command.ts present). */
export function printText(text: string): void {
  if (text !== '') writeStdout(`${printable(text)}\n`)
}

/** What a mutating command's audit line says besides its outcome (read once the run is over). */
export interface AuditOf {
  command: string
  target?: string
  details?: Record<string, unknown>
}

/**
 * Runs a fast path's work the way BaseCommand runs a command: a failure is reported (exit code,
 * then the message, or the error document under --json); a mutating command's audit line
 * follows, also when printing failed (a full disk), since the work itself happened.
 */
export async function runAsCommand(options: {json: boolean; audit?: () => AuditOf}, work: () => Promise<void>): Promise<void> {
  let failure: unknown
  try {
    try {
      await work()
    } catch (error) {
      failure = error
      reportFailure(error, {json: options.json, verbose: false, writeJson: writeStdoutJson})
    }
  } finally {
    if (options.audit) await auditRun(provisioningHome(process.env), {...options.audit(), error: failure})
  }
}
