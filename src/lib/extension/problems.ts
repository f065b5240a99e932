/**
 * A finding of extension validation. Validation collects every problem instead of
 * stopping at the first, so one `oci package validate` run shows the whole list.
 */
export type ProblemSeverity = 'error' | 'warning'

export interface Problem {
  severity: ProblemSeverity
  /** The manifest field (`version`, `dependencies.etcd`) or folder entry (`scripts/run`) concerned. */
  field: string
  message: string
  /** What to do about it. */
  hint: string
  /** For an unknown field: the known field it most likely misspells. */
  suggestion?: string
  /** For YAML syntax errors: 1-based position in manifest.yaml. */
  line?: number
  column?: number
}

export function errorsOf(problems: readonly Problem[]): Problem[] {
  return problems.filter((problem) => problem.severity === 'error')
}

export function warningsOf(problems: readonly Problem[]): Problem[] {
  return problems.filter((problem) => problem.severity === 'warning')
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((problem) => problem.severity === 'error')
}

/** One line per problem, as listed in error messages: `  - field: message (line 3, column 5)`. */
export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? '' : ` (line ${problem.line}, column ${problem.column ?? 1})`
  return `  - ${problem.field}: ${problem.message}${where}`
}
