import {hasMarker, writeMarker} from '../config/parse-cache.js'
import type {OciStores} from '../oci/stores.js'
import {canonicalJson} from '../util/canonical-json.js'
import {type Declaration, moduleSites} from './declaration.js'
import {type LockedEntry, lockContractProblems} from './lock-contract.js'
import type {Lockfile} from './lockfile.js'

export interface FollowedLockCheck {
  /** The entries with their parsed origins, when the lock holds. */
  entries: LockedEntry[]
  /** Every disagreement found; empty when the lock may be followed. */
  problems: string[]
}

/**
 * Checks a lock before it is followed: first what needs no content (references, declared
 * modules, reachability), then, only if that holds, the content each entry pins, so a
 * hand-edited lock never leads to a request to another host or an install of other content.
 *
 * Registry content is immutable by digest, so a lock whose content was verified once stays
 * verified: that fact is remembered in the user's own cache (never in the workspace, which a
 * pull request can edit), and a locked run in an unchanged workspace reads no manifest.
 * Local folders can change under an unchanged lock and are checked every time.
 */
export async function checkFollowedLock(
  oci: OciStores | undefined,
  lock: Lockfile,
  declaration: Declaration,
  options: {offline: boolean; concurrency: number},
): Promise<FollowedLockCheck> {
  const {entries, problems} = lockContractProblems(lock, declaration, oci?.settings.cwd ?? process.cwd())
  if (problems.length > 0) {
    // Only now, with something to explain: the declaring file and line of each module.
    const sites = await moduleSites(declaration)
    return sites.size > 0 ? lockContractProblems(lock, declaration, oci?.settings.cwd ?? process.cwd(), sites) : {entries, problems}
  }
  const remembered = entries.every((e) => e.origin.kind === 'oci')
  const subject = `verified lock content\n${canonicalJson({core: lock.core_version, extensions: lock.extensions})}`
  if (remembered && hasMarker(subject)) return {entries, problems: []}
  const {lockedContentProblems} = await import('./lock-content.js')
  const found = await lockedContentProblems(oci, lock, entries, options)
  if (remembered && found.length === 0) writeMarker(subject)
  return {entries, problems: found}
}
