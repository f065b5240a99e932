import os from 'node:os'
import path from 'node:path'

import pLimit from 'p-limit'

import {readExtensionConfig} from '../oci/artifact-reader.js'
import type {OciContext} from '../oci/context.js'
import {formatReference} from '../oci/reference.js'
import {invalidMetadata} from './candidate.js'
import type {Declaration} from './declaration.js'
import {localArtifact} from './local-artifact.js'
import {type LockedEntry, lockContentProblems, lockContractProblems} from './lock-contract.js'
import type {Lockfile} from './lockfile.js'
import {pinnedArtifact} from './oci-installer.js'

export interface FollowedLockCheck {
  /** The entries with their parsed origins, when the lock holds. */
  entries: LockedEntry[]
  /** Every disagreement found; empty when the lock may be followed. */
  problems: string[]
}

/**
 * Checks a lock before it is followed: first what needs no content (references, declared
 * modules, reachability), then, only if that holds, the content each entry pins (the
 * manifest by digest and its config blob, from the cache when there; a local folder is
 * packaged and its digest compared), so a hand-edited lock never leads to a request to
 * another host or an install of other content.
 */
export async function checkFollowedLock(oci: OciContext | undefined, lock: Lockfile, declaration: Declaration, options: {offline: boolean; concurrency: number}): Promise<FollowedLockCheck> {
  const {entries, problems} = lockContractProblems(lock, declaration, oci?.settings.cwd ?? process.cwd())
  if (problems.length > 0) return {entries, problems}
  const {parseManifest} = await import('../extension/manifest-schema.js')
  const limit = pLimit(Math.max(1, options.concurrency))
  const found = await Promise.all(entries.map(({entry, origin}) => limit(async () => {
    if (origin.kind === 'local') {
      const local = await localArtifact(origin.dir, oci ? path.join(oci.cache.dir, 'tmp') : os.tmpdir())
      if (local.digest !== entry.digest) return [`${entry.name}@${entry.version}: the folder ${origin.dir} changed since it was locked (locked ${entry.digest}, now ${local.digest})`]
      return lockContentProblems(entry, local.manifest, lock)
    }
    if (!oci) throw new Error('an OCI context is required for an OCI source')
    const artifact = await pinnedArtifact(oci, entry, origin.reference, options.offline)
    const config = await readExtensionConfig(oci, artifact, options.offline)
    const where = formatReference(origin.reference)
    if (!config) return [`${entry.name}@${entry.version}: ${where} is not an extension artifact (no extension config)`]
    const {manifest, problems: metadata} = parseManifest(config)
    if (!manifest) throw invalidMetadata(where, 'registry', metadata)
    return lockContentProblems(entry, manifest, lock)
  })))
  return {entries, problems: found.flat()}
}
