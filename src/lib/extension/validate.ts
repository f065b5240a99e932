import {ValidationError} from '../errors.js'
import {type ExtensionEntry, readExtensionDir} from './extension-dir.js'
import type {ExcludedEntry} from './ignore-rules.js'
import type {ExtensionManifest} from './manifest.js'
import {errorsOf, formatProblem, type Problem, warningsOf} from './problems.js'

export interface ExtensionValidationReport {
  dir: string
  valid: boolean
  manifest?: ExtensionManifest
  /** Errors and warnings (each with its severity and, for an unknown field, a suggestion), manifest problems first. */
  problems: Problem[]
  /** How many of the problems are errors (a count, as scripts check `.errors == 0`). */
  errors: number
  /** How many are warnings (unknown manifest fields, files outside the layout): valid, but worth a look. */
  warnings: number
  files: ExtensionEntry[]
  /** Left out by .provisioningignore or its defaults. */
  excluded: ExcludedEntry[]
}

export interface ValidExtension extends ExtensionValidationReport {
  valid: true
  manifest: ExtensionManifest
}

/** Checks the folder structure and every manifest field; never throws for an invalid extension. */
export async function validateExtension(dir: string): Promise<ExtensionValidationReport> {
  const contents = await readExtensionDir(dir)
  const errors = errorsOf(contents.problems)
  return {
    dir: contents.dir,
    valid: errors.length === 0 && contents.manifest !== undefined,
    manifest: contents.manifest,
    problems: contents.problems,
    errors: errors.length,
    warnings: warningsOf(contents.problems).length,
    files: contents.files,
    excluded: contents.excluded,
  }
}

/**
 * `oci package validate DIR`: returns the report when the extension is valid, otherwise
 * throws a ValidationError (exit 10) whose message lists every error, with the full
 * problem list (warnings included) in details.problems.
 */
export async function assertValidExtension(dir: string): Promise<ValidExtension> {
  const report = await validateExtension(dir)
  if (report.valid) return report as ValidExtension
  const errors = errorsOf(report.problems)
  const count = `${errors.length} error${errors.length === 1 ? '' : 's'}`
  throw new ValidationError(`extension ${report.dir} is invalid (${count}):\n${errors.map(formatProblem).join('\n')}`, {
    hint: errors.length === 1 ? errors[0].hint : `fix the problems listed, then run "provisioning oci package validate ${report.dir}" again`,
    details: {dir: report.dir, problems: report.problems},
  })
}
