import type {ExcludedEntry} from '../../lib/extension/ignore-rules.js'
import {formatProblem, type Problem, warningsOf} from '../../lib/extension/problems.js'
import type {ExtensionValidationReport} from '../../lib/extension/validate.js'

/** `--verbose`: one stderr line per entry left out of an archive, with the rule (like `git check-ignore -v`). */
export function formatExcluded(dir: string, excluded: readonly ExcludedEntry[]): string {
  if (excluded.length === 0) return `${dir}: nothing excluded`
  return excluded.map((e) => `excluded ${e.path} (${e.from === 'default' ? 'default rule' : e.from} ${e.rule})`).join('\n')
}

/** A manifest warning of a folder being packaged or pushed (stderr): `./redis: dependancies: unknown field … (did you mean dependencies?)`. */
export function formatPackageWarning(dir: string, problem: Problem): string {
  return `${dir}: ${problem.field}: ${problem.message} (${problem.hint})`
}

/** `oci package validate`: a valid extension, then each warning with what to do about it. */
export function formatValidation(report: ExtensionValidationReport): string {
  const {manifest} = report
  const warnings = warningsOf(report.problems)
  const heading = `${manifest?.name}@${manifest?.version} (${manifest?.type}) is valid${warnings.length > 0 ? `, with ${warnings.length} warning(s):` : ''}`
  return [heading, ...warnings.map((p) => `${formatProblem(p)}\n      ${p.hint}`)].join('\n')
}
