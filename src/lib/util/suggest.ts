import {distance} from 'fastest-levenshtein'

/**
 * The candidates close enough to `target` to be what was meant (a typo: within a third of
 * its length, at least 2 edits), nearest first, ties by name; at most `limit`.
 */
export function closestMatches(target: string, candidates: Iterable<string>, limit = 3): string[] {
  const budget = Math.max(2, Math.floor(target.length / 3))
  return [...new Set(candidates)]
    .map((candidate) => ({candidate, edits: distance(target, candidate)}))
    .filter(({edits}) => edits <= budget)
    .sort((a, b) => a.edits - b.edits || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map(({candidate}) => candidate)
}
