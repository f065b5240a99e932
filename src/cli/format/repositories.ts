import type {RepositoryListResult, RepositorySaveResult, RepositoryValidation, RepositoryView} from '../../lib/oci/ops/repositories.js'
import type {CheckResult} from '../../lib/repository/probe.js'
import {keyValues, table} from './table.js'

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')

const problemLines = (problems: string[]) => problems.map((p) => `\nwarning: ${p}`).join('')

function checkTable(checks: CheckResult[]): string {
  return table(
    ['check', 'status', 'message'],
    checks.map((c) => [c.check, c.status, `${c.message}${c.fix ? ` (fix: ${c.fix})` : ''}`]),
  )
}

export function formatRepositoryList(result: RepositoryListResult): string {
  const rows = result.repositories.map((r) => [r.hidden ? `${r.name} (hidden)` : r.name, r.url, r.visibility, r.mode, r.priority, labelText(r.labels) || '-'])
  const body =
    rows.length === 0
      ? `no repositories${result.selector ? ` match your repository_selector (${result.selector}); --all shows every one` : ''}`
      : table(['name', 'url', 'visibility', 'mode', 'priority', 'labels'], rows)
  return `${body}${problemLines(result.problems)}`
}

export function formatRepository(result: RepositoryView & {problems: string[]}): string {
  return (
    keyValues([
      ['name', result.hidden ? `${result.name} (hidden by your repository_selector)` : result.name],
      ['url', result.url],
      ['description', result.description],
      ['visibility', result.visibility],
      ['mode', result.mode],
      ['priority', result.priority],
      ['labels', labelText(result.labels)],
      ['declared in', result.implicit ? `${result.declaredIn} (the implicit repository)` : result.declaredIn],
    ]) + problemLines(result.problems)
  )
}

export function formatRepositorySave(result: RepositorySaveResult): string {
  const what =
    result.action === 'removed' ? `removed repository ${result.name}` : `${result.action} repository ${result.name} (${result.visibility}, ${result.mode})`
  const lines = [`${what} in ${result.file}`]
  if (result.insecureSkipCheck) lines.push(`--insecure-skip-check: not checked: ${result.insecureSkipCheck.skipped.join(', ')} (recorded in the audit log)`)
  if (result.checks.length > 0) lines.push(checkTable(result.checks))
  return lines.join('\n')
}

export function formatRepositoryValidation(result: {repositories: RepositoryValidation[]; problems: string[]}): string {
  if (result.repositories.length === 0) return `no repositories to validate${problemLines(result.problems)}`
  return (
    result.repositories.map((r) => `${r.name} (${r.url}): ${r.valid ? 'ok' : 'failed'}\n${checkTable(r.checks)}`).join('\n\n') + problemLines(result.problems)
  )
}
