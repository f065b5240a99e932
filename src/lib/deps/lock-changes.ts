import semver from 'semver'

import {IMPLICIT_REPOSITORY} from '../repository/repository.js'
import type {LockedExtension, Lockfile} from './lockfile.js'
import type {Catalog, Requirer} from './types.js'

/** What a resolution did to one extension compared with the lock it started from. */
export interface LockChange {
  name: string
  /** Extension type (provider, taskserv, cluster). */
  type: string
  change: 'kept' | 'upgraded' | 'downgraded' | 'added' | 'removed'
  /** The locked version (absent for added). */
  from?: string
  /** The version now (absent for removed). */
  to?: string
  /** Why it moved, or why a locked version was kept although a newer one is allowed. */
  reason?: string
  /** Kept only: the newest version every range on it allows, when newer than the kept one. */
  newestAllowed?: string
  /**
   * The lock took it from another repository than resolution does now (a pin changed, or the
   * per-name rule picks a more preferred repository holding it: a lock edited to point at a
   * less-preferred one is re-resolved here). `default` stands for the implicit repository.
   */
  repository?: {from: string; to: string}
}

/**
 * Per extension: kept, upgraded or downgraded (old -> new), added or removed, and why.
 * `redecided` gives the reason for names decided afresh; a kept name with a newer allowed
 * version says so, since that version is not taken until asked for (`dep update NAME`).
 */
export function lockChanges(
  before: Lockfile | undefined,
  after: LockedExtension[],
  context: {catalog?: Catalog; requiredBy?: Map<string, Requirer[]>; redecided?: Map<string, string>} = {},
): LockChange[] {
  const old = new Map((before?.extensions ?? []).map((e) => [e.name, e]))
  const changes: LockChange[] = []
  for (const e of after) {
    const from = old.get(e.name)?.version
    const {name, type} = e
    const before = old.get(e.name)
    const moved = before && (before.repository ?? IMPLICIT_REPOSITORY) !== (e.repository ?? IMPLICIT_REPOSITORY)
    const repository = moved ? {from: before.repository ?? IMPLICIT_REPOSITORY, to: e.repository ?? IMPLICIT_REPOSITORY} : undefined
    const reason = repository ? movedReason(e.name, repository) : context.redecided?.get(e.name)
    if (from === undefined) {
      changes.push({name, type, change: 'added', to: e.version})
    } else if (from !== e.version) {
      changes.push({
        name,
        type,
        change: semver.gt(e.version, from) ? 'upgraded' : 'downgraded',
        from,
        to: e.version,
        reason: reason ?? 'the locked version no longer fits the constraints',
        ...(repository ? {repository} : {}),
      })
    } else {
      // Decided afresh and still the same: nothing held it back, nothing to say.
      const newest = reason ? undefined : newestAllowed(e.name, context.catalog, context.requiredBy?.get(e.name))
      const held = newest !== undefined && semver.gt(newest, e.version)
      changes.push({
        name,
        type,
        change: 'kept',
        from,
        to: e.version,
        ...(held ? {newestAllowed: newest, reason: `locked; run "provisioning dep update ${e.name}" to move to ${newest}`} : {}),
        ...(repository ? {repository, reason: movedReason(e.name, repository)} : {}),
      })
    }
  }
  const present = new Set(after.map((e) => e.name))
  for (const [name, e] of old) if (!present.has(name)) changes.push({name, type: e.type, change: 'removed', from: e.version, reason: 'no longer required'})
  return changes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** Why a name left the lock's repository: resolution takes every name from one repository (SPEC §13). */
export const movedReason = (name: string, r: {from: string; to: string}) =>
  `locked from repository ${r.from}, now from ${r.to}: ${name} is taken from its pinned repository, else from the most preferred repository holding it`

/** The highest published version inside every range now put on the name. */
function newestAllowed(name: string, catalog: Catalog | undefined, requirers: Requirer[] | undefined): string | undefined {
  if (!catalog || !requirers) return undefined
  const fits = (catalog.versions(name) ?? []).map((c) => c.version).filter((v) => requirers.every((r) => semver.satisfies(v, r.range)))
  return fits.sort(semver.rcompare)[0]
}
