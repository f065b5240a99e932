import semver from 'semver'

import type {CandidateVersion} from './types.js'

/** What one place (a repository, or the single source) offers of a name. */
export interface Offer<R> {
  /** The repository's name; absent for the implicit source without repositories or a root's own reference. */
  source?: string
  found: Array<{candidate: CandidateVersion; record: R}>
}

export interface UnitedVersion<R> {
  /** Carries `repository` (the supplying repository) when the offer named one. */
  candidate: CandidateVersion
  record: R
  /** The less-preferred repositories that hold the name too, in preference order: not used, for explanations only. */
  alsoIn: string[]
}

/** What each repository holds of a name, and whether it is the one that supplies it (explanations, `availableIn`). */
export interface RepositoryOffer {
  repository: string
  /** Ascending. */
  versions: string[]
  used: boolean
}

/**
 * The versions the resolver sees of one name (SPEC §13), by the per-name rule: the most
 * preferred place that holds the name (at least one semver version) supplies all of its
 * versions; less-preferred places holding it are recorded as `alsoIn` and never used. The
 * offers are in preference order (pin, else priority, then name). Choosing per name, not per
 * version, is what stops dependency confusion: publishing `cilium:1.99.0` to a less-preferred
 * repository does not take the name over from the preferred one. Decided after every fetch
 * has finished, so it never depends on which finished first.
 */
export function uniteOffers<R>(offers: ReadonlyArray<Offer<R>>): Map<string, UnitedVersion<R>> {
  const supplier = offers.find((o) => o.found.length > 0)
  const united = new Map<string, UnitedVersion<R>>()
  if (!supplier) return united
  const alsoIn = offers.filter((o) => o !== supplier && o.source && o.found.length > 0).map((o) => o.source as string)
  for (const {candidate, record} of supplier.found) {
    if (united.has(candidate.version)) continue
    united.set(candidate.version, {candidate: supplier.source ? {...candidate, repository: supplier.source} : candidate, record, alsoIn})
  }
  return united
}

/** Per repository holding the name, its versions (ascending) and whether it supplies them, for "no version satisfies" explanations. */
export function versionsByRepository<R>(offers: ReadonlyArray<Offer<R>>): RepositoryOffer[] {
  const supplier = offers.find((o) => o.found.length > 0)
  return offers.flatMap((o) =>
    o.source && o.found.length > 0
      ? [{repository: o.source, versions: o.found.map((f) => f.candidate.version).sort(semver.compare), used: o === supplier}]
      : [],
  )
}
