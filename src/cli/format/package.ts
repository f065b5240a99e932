import type {ExcludedEntry} from '../../lib/extension/ignore-rules.js'
import {formatProblem} from '../../lib/extension/problems.js'
import type {ExtensionValidationReport} from '../../lib/extension/validate.js'

/** `--verbose`: one stderr line per entry left out of an archive, with the rule (like `git check-ignore -v`). */
export function formatExcluded(dir: string, excluded: readonly ExcludedEntry[]): string {
  if (excluded.length === 0) return `${dir}: nothing excluded`
  return excluded.map((e) => `excluded ${e.path} (${e.from === 'default' ? 'default rule' : e.from} ${e.rule})`).join('\n')
}

/** `oci package validate`: a valid extension, then each warning with what to do about it. */
export function formatValidation(report: ExtensionValidationReport): string {
  const {manifest, warnings} = report
  const heading = `${manifest?.name}@${manifest?.version} (${manifest?.type}) is valid${warnings.length > 0 ? `, with ${warnings.length} warning(s):` : ''}`
  return [heading, ...warnings.map((p) => `${formatProblem(p)}\n      ${p.hint}`)].join('\n')
}
