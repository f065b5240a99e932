import {ExitCode, isProvisioningError} from '../lib/errors.js'
import {redact} from '../lib/util/redact.js'
import {printable} from './printable.js'

export interface ErrorDocument {
  code: string
  message: string
  exit: number
  hint?: string
  details: Record<string, unknown>
}

interface OclifError {
  message: string
  oclif?: {exit?: number}
  code?: string
}

/** Turns anything thrown into the stable `{code, message, exit, hint, details}` shape. */
export function toErrorDocument(error: unknown): ErrorDocument {
  if (isProvisioningError(error)) {
    return {code: error.code, message: redact(error.message), exit: error.exit, hint: error.hint && redact(error.hint), details: redactDetails(error.details)}
  }
  const oclif = error as OclifError
  if (
    oclif?.oclif?.exit === ExitCode.USAGE ||
    /^(Nonexistent flag|Unexpected argument|Missing \d+ required arg|Expected --|Parsing --)/.test(oclif?.message ?? '')
  ) {
    return {
      code: 'E_USAGE',
      message: redact(oclif.message.split('\nSee more help with')[0]),
      exit: ExitCode.USAGE,
      hint: "see --help for the command's flags and arguments",
      details: {},
    }
  }
  const message = error instanceof Error ? error.message : String(error)
  return {
    code: 'E_INTERNAL',
    message: `internal error: ${redact(message)}`,
    exit: ExitCode.INTERNAL,
    hint: 'this is a bug; re-run with --verbose for a stack trace and report it',
    details: {},
  }
}

function redactDetails(details: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(redact(JSON.stringify(details))) as Record<string, unknown>
}

export function renderErrorText(doc: ErrorDocument, error: unknown, verbose: boolean): string {
  const lines = [`Error: ${doc.message}`]
  if (doc.hint) lines.push(`Hint: ${doc.hint}`)
  if ((verbose || process.env.DEBUG) && error instanceof Error && error.stack) lines.push('', redact(error.stack))
  return lines.join('\n')
}

/**
 * Reports a failed run the one way every command does: the exit code of SPEC §3, then the
 * error document on stdout under --json (through `writeJson`, which may colour it), else
 * the message and hint on stderr.
 */
export function reportFailure(error: unknown, options: {json: boolean; verbose: boolean; writeJson: (json: unknown) => void}): ErrorDocument {
  const doc = toErrorDocument(error)
  process.exitCode = doc.exit
  if (options.json) options.writeJson({error: doc})
  else process.stderr.write(`${printable(renderErrorText(doc, error, options.verbose))}\n`)
  return doc
}

/** A JSON document on stdout as scripts read it: plain, two-space indented. */
export function writePlainJson(json: unknown): void {
  process.stdout.write(plainJson(json))
}

export function plainJson(json: unknown): string {
  return `${JSON.stringify(json, null, 2)}\n`
}
