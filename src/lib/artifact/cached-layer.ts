import {IntegrityError, NotFoundError} from '../errors.js'
import {type ExtractResult, extractFrom} from '../extension/extract.js'
import type {BlobCache, CacheEntry} from '../oci/blob-cache.js'
import {StreamingDigest} from '../oci/digest.js'
import type {Descriptor} from '../oci/media-types.js'

/**
 * Unpacks a layer from its blob cache file into `target` (atomically, with every check of
 * extractArchive) in 1 MiB pieces, never holding the layer in memory.
 *
 * The file was verified when it was cached, but it is a file: it may have been damaged or
 * replaced since. So it is hashed again while it is read, and the tree is committed only
 * once the digest checked out; on a mismatch the entry is removed (the next run fetches it
 * again), the staging folder goes and `target` stays exactly as it was (exit 8).
 */
export async function extractCachedLayer(cache: BlobCache, layer: Descriptor, target: string, what: string): Promise<ExtractResult> {
  const check = new StreamingDigest(layer, what)
  let unusable: string | undefined
  const entry = await cache.openEntry(layer, (reason) => (unusable = reason))
  if (!entry) throw unusable ? damaged(cache, layer, new IntegrityError(`${what}: ${unusable}`), unusable) : vanished(cache, layer)
  try {
    return await extractFrom(target, layer.size, async (extraction) => {
      try {
        for await (const chunk of entry.chunks()) {
          check.update(chunk)
          // Once the archive is rejected only the digest still matters: damaged content is
          // reported as a digest mismatch, not as whatever the unpacker tripped over.
          if (!extraction.failed) await extraction.write(chunk)
        }
        check.verify()
      } catch (error) {
        throw await asCacheProblem(cache, entry, layer, error)
      }
    })
  } finally {
    await entry.close()
  }
}

function vanished(cache: BlobCache, layer: Descriptor): NotFoundError {
  return new NotFoundError(`the blob cache entry of ${layer.digest} disappeared before it was installed`, {
    hint: 'the cache was cleaned while this command ran; run it again',
    details: {digest: layer.digest, cacheFile: cache.file(layer.digest)},
  })
}

async function asCacheProblem(cache: BlobCache, entry: CacheEntry, layer: Descriptor, error: unknown): Promise<unknown> {
  if (error instanceof IntegrityError) {
    await entry.removeIfUnchanged()
    return damaged(cache, layer, error)
  }
  return error
}

/** The entry (already removed) changed after it was verified: `reason` when it was never read. */
function damaged(cache: BlobCache, layer: Descriptor, error: IntegrityError, reason?: string): IntegrityError {
  return new IntegrityError(`${error.message}; the blob cache entry was damaged and has been removed`, {
    hint: 'the cached file changed on disk after it was verified (disk error, or edited); nothing was installed from it. Run the command again to download it anew',
    details: {...error.details, ...(reason ? {reason} : {}), cacheFile: cache.file(layer.digest)},
  })
}
