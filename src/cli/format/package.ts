import type {ExcludedEntry} from '../../lib/extension/ignore-rules.js'

/** `--verbose`: one stderr line per entry left out of an archive, with the rule (like `git check-ignore -v`). */
export function formatExcluded(dir: string, excluded: readonly ExcludedEntry[]): string {
  if (excluded.length === 0) return `${dir}: nothing excluded`
  return excluded.map((e) => `excluded ${e.path} (${e.from === 'default' ? 'default rule' : e.from} ${e.rule})`).join('\n')
}

