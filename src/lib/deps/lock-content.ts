import os from 'node:os'
import path from 'node:path'

import pLimit from 'p-limit'

import {parseManifest} from '../extension/manifest-schema.js'
import {readExtensionConfig} from '../artifact/artifact-reader.js'
import type {OciStores} from '../oci/stores.js'
import {formatReference} from '../oci/reference.js'
import {invalidMetadata} from './candidate.js'
import {localArtifact} from './local-artifact.js'
import {type LockedEntry, lockContentProblems} from './lock-contract.js'
import type {Lockfile} from './lockfile.js'
import {pinnedArtifact} from './oci-installer.js'

/**
 * The content each entry pins: the manifest by digest and its config blob (from the cache
 * when there), or a local folder packaged and its digest compared, checked against what the
 * lock records. Malformed metadata in a store is exit 8, as in a fresh resolution.
 */
export async function lockedContentProblems(
  oci: OciStores | undefined,
  lock: Lockfile,
  entries: LockedEntry[],
  options: {offline: boolean; concurrency: number},
): Promise<string[]> {
  const limit = pLimit(Math.max(1, options.concurrency))
  const found = await Promise.all(
    entries.map(({entry, origin}) =>
      limit(async () => {
        if (origin.kind === 'local') {
          const local = await localArtifact(origin.dir, oci ? path.join(oci.cache.dir, 'tmp') : os.tmpdir())
          if (local.digest !== entry.digest)
            return [`${entry.name}@${entry.version}: the folder ${origin.dir} changed since it was locked (locked ${entry.digest}, now ${local.digest})`]
          return lockContentProblems(entry, local.manifest, lock)
        }
        if (!oci) throw new Error('OCI stores (OciStores) are required for an OCI source')
        const artifact = await pinnedArtifact(oci, entry, origin.reference, options.offline)
        const config = await readExtensionConfig(artifact, options.offline)
        const where = formatReference(origin.reference)
        if (!config) return [`${entry.name}@${entry.version}: ${where} is not an extension artifact (no extension config)`]
        const {manifest, problems: metadata} = parseManifest(config)
        if (!manifest) throw invalidMetadata(where, 'registry', metadata)
        return lockContentProblems(entry, manifest, lock)
      }),
    ),
  )
  return found.flat()
}
