import {toErrorDocument} from './render-error.js'

/** What the audit log names as a run's target: its arguments, a batch by its first three. */
export function auditTargetOf(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined
  // A batch (`oci push DIR...`) is named by its first items: one audit line stays one screen line.
  return values.length > 3 ? `${values.slice(0, 3).join(' ')} (+${values.length - 3} more)` : values.join(' ')
}

/**
 * The audit line of one mutating run (SPEC issue 5), after it ended: its exit code is the one
 * already set. The run's own outcome matters more than its audit line: a failure to append
 * is a warning, never an error.
 */
export async function auditRun(
  home: string,
  run: {command: string; target?: string; workspace?: string; error?: unknown; details?: Record<string, unknown>},
): Promise<void> {
  const exit = typeof process.exitCode === 'number' ? process.exitCode : run.error ? 1 : 0
  const {appendAudit} = await import('../lib/audit/audit-log.js')
  await appendAudit(home, {
    command: run.command,
    target: run.target,
    ...(run.workspace ? {workspace: run.workspace} : {}),
    result: exit === 0 ? 'ok' : 'error',
    exit,
    ...(run.error ? {error: toErrorDocument(run.error).code} : {}),
    ...(run.details ? {details: run.details} : {}),
  }).catch((auditError: Error) => {
    process.stderr.write(`warning: could not append to the audit log: ${auditError.message}\n`)
  })
}
