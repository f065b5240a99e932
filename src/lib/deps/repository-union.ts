import semver from 'semver'

import type {CandidateVersion} from './types.js'

/** What one place (a repository, or the single source) offers of a name. */
export interface Offer<R> {
  /** The repository's name; absent for the implicit source without repositories or a root's own reference. */
  source?: string
  found: Array<{candidate: CandidateVersion; record: R}>
}

export interface UnitedVersion<R> {
  /** Carries `repository` (the providing repository) when the offer named one. */
  candidate: CandidateVersion
  record: R
  /** The other repositories holding the same version, in preference order: for explanations only. */
  alsoIn: string[]
}

/**
 * The union the resolver sees (SPEC §13): every version any place offers, each provided by
 * the first place holding it, the offers being in preference order (pin, else priority,
 * then name). Built after every fetch has finished, so it never depends on which finished first.
 */
export function uniteOffers<R>(offers: ReadonlyArray<Offer<R>>): Map<string, UnitedVersion<R>> {
  const united = new Map<string, UnitedVersion<R>>()
  for (const offer of offers) {
    for (const {candidate, record} of offer.found) {
      const known = united.get(candidate.version)
      if (known) {
        if (offer.source && !known.alsoIn.includes(offer.source)) known.alsoIn.push(offer.source)
        continue
      }
      united.set(candidate.version, {candidate: offer.source ? {...candidate, repository: offer.source} : candidate, record, alsoIn: []})
    }
  }
  return united
}

/** Per repository, the versions it offers (ascending), for "no version satisfies" explanations. */
export function versionsByRepository<R>(offers: ReadonlyArray<Offer<R>>): Array<{repository: string; versions: string[]}> {
  return offers.flatMap((o) => (o.source ? [{repository: o.source, versions: o.found.map((f) => f.candidate.version).sort(semver.compare)}] : []))
}
