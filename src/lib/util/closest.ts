import {distance} from 'fastest-levenshtein'

/**
 * The candidates close enough to `target` to be what was meant (a typo: within a third of
 * its length, at least 2 edits), nearest first, ties by name (the same order in any locale);
 * at most `limit`. The one rule behind every "did you mean …?".
 */
export function closestMatches(target: string, candidates: Iterable<string>, limit = 3): string[] {
  const budget = Math.max(2, Math.floor(target.length / 3))
  return [...new Set(candidates)]
    .map((candidate) => ({candidate, edits: distance(target, candidate)}))
    .filter(({edits}) => edits <= budget)
    .sort((a, b) => a.edits - b.edits || a.candidate.localeCompare(b.candidate, 'en'))
    .slice(0, limit)
    .map(({candidate}) => candidate)
}

/** The nearest candidate for a single "did you mean …?" (the first of closestMatches). */
export function closestMatch(target: string, candidates: Iterable<string>): string | undefined {
  return closestMatches(target, candidates, 1)[0]
}
