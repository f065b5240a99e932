import {hasMarker, writeMarker} from '../config/parse-cache.js'
import type {OciStores} from '../oci/stores.js'
import {canonicalJson} from '../util/canonical-json.js'
import {folderFingerprint} from '../extension/folder-fingerprint.js'
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
 * Local folders can change under an unchanged lock: the fact is remembered together with
 * each folder's fingerprint (every entry's inode, size and times), so any change to a folder
 * means it is packaged and compared again.
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
  const before = localFolders(entries)
  const subject = before && `verified lock content\n${canonicalJson({core: lock.core_version, extensions: lock.extensions, folders: before.texts})}`
  if (subject && hasMarker(subject)) return {entries, problems: []}
  const {lockedContentProblems} = await import('./lock-content.js')
  const found = await lockedContentProblems(oci, lock, entries, options)
  // Remembered only if no folder changed while it was read, nor just before (see folderFingerprint).
  const after = before?.settled ? localFolders(entries) : undefined
  if (subject && found.length === 0 && after?.settled && canonicalJson(after.texts) === canonicalJson(before?.texts)) writeMarker(subject)
  return {entries, problems: found}
}

/** Each local entry's folder fingerprint; undefined when one cannot be taken (its content is then read every time). */
function localFolders(entries: LockedEntry[]): {texts: Record<string, string>; settled: boolean} | undefined {
  const texts: Record<string, string> = {}
  let settled = true
  for (const {origin} of entries) {
    if (origin.kind !== 'local') continue
    const print = folderFingerprint(origin.dir)
    if (!print) return undefined
    texts[origin.dir] = print.text
    settled &&= print.settled
  }
  return {texts, settled}
}
