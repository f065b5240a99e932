import {IntegrityError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {bodyChunks} from '../util/blob-body.js'
import type {BlobCache, BlobCacheWriter} from './blob-cache.js'
import {StreamingDigest, verifiedChunks} from './digest.js'
import type {Descriptor} from './media-types.js'
import type {StreamedBlobAttempt, StreamingStore} from './store.js'

/**
 * Puts a large blob into the blob cache without ever holding it in memory (SPEC §8.3
 * "Integrity": verified before caching, a cached digest is never fetched again). Used by
 * the caching store (caching-store.ts): `dep resolve` fills the cache for every layer
 * first and unpacks from the cache file afterwards (install-layer.ts, cached-layer.ts),
 * so nothing in the workspace changes before every download has been verified.
 */

/**
 * Whether the cache holds the blob, intact: the entry is hashed as it is read (1 MiB
 * pieces). A damaged entry (a crash mid-write, a disk error, an edit) is removed, so the
 * caller fetches it again instead of ever using it.
 */
export async function hasIntactBlob(cache: BlobCache, descriptor: Descriptor): Promise<boolean> {
  const check = new StreamingDigest(descriptor, `cached blob ${descriptor.digest}`)
  const entry = await cache.openEntry(descriptor)
  if (!entry) return false
  try {
    for await (const chunk of entry.chunks()) check.update(chunk)
    check.verify()
    return true
  } catch (error) {
    if (error instanceof IntegrityError) await entry.removeIfUnchanged()
    // Damaged, or unreadable (an I/O error): a miss either way, the blob is fetched again.
    return false
  } finally {
    await entry.close()
  }
}

/**
 * The largest declared size accepted before a blob is requested, and what a refusal says
 * (the artifact layer's extension cap: artifact/install-layer.ts); null: only the declared size bounds it.
 */
export interface SizeCap {
  bytes: number
  exceeded: string
}

export function assertLayerSize(descriptor: Descriptor, what: string, cap: SizeCap | null): void {
  if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) {
    throw new IntegrityError(`${what}: the manifest gives the blob a size of ${descriptor.size}, which is not a byte count`, {
      hint: 'the artifact is malformed or hostile; nothing was downloaded',
      details: {digest: descriptor.digest, size: descriptor.size},
    })
  }
  if (cap !== null && descriptor.size > cap.bytes) {
    throw new IntegrityError(`${what}: the manifest gives the layer a size of ${descriptor.size} bytes, ${cap.exceeded}`, {
      hint: 'the artifact is malformed or hostile; nothing was downloaded',
      details: {digest: descriptor.digest, size: descriptor.size, limit: cap.bytes},
    })
  }
}

/**
 * Copies a blob file of a local store (an OCI layout) into the cache in pieces, hashed on
 * the way: the same verified entry a download gives, without holding the blob in memory.
 */
export async function fillCacheFromFile(cache: BlobCache, file: string, descriptor: Descriptor, what: string, cap: SizeCap | null): Promise<void> {
  assertLayerSize(descriptor, what, cap)
  // No fsync, like every cache write: a damaged entry is found on read and fetched again.
  await writeFileAtomic(cache.file(descriptor.digest), verifiedChunks(bodyChunks({file, size: descriptor.size}), descriptor, what), {durable: false})
}

/**
 * Downloads a blob from a registry straight into the cache: each attempt (the first and
 * every retry of the store's fetchBlobStreaming) writes a fresh temp file while hashing,
 * refuses more bytes than the descriptor's size, and is aborted (temp file removed) when
 * it fails. The entry appears only once size and digest checked out.
 *
 * `cap`: the largest declared size accepted before anything is requested. An extension
 * layer (pull, dep resolve) is bounded by what an extension may unpack to (the default);
 * `oci copy` moves any artifact, container images with multi-GiB layers included, and
 * passes null: the declared size still bounds what is read and written.
 */
export async function fillCacheStreaming(
  cache: BlobCache,
  store: StreamingStore,
  repository: string,
  descriptor: Descriptor,
  what: string,
  cap: SizeCap | null,
): Promise<void> {
  assertLayerSize(descriptor, what, cap)
  let attempt: CacheFillAttempt | undefined
  await store.fetchBlobStreaming(repository, descriptor, async () => {
    attempt = await CacheFillAttempt.open(cache, descriptor, what)
    return attempt
  })
  // Verified by finish(); commit() removes the temp file itself when the rename fails.
  await attempt!.commit()
}

class CacheFillAttempt implements StreamedBlobAttempt<void> {
  private constructor(
    private readonly writer: BlobCacheWriter,
    private readonly check: StreamingDigest,
  ) {}

  static async open(cache: BlobCache, descriptor: Descriptor, what: string): Promise<CacheFillAttempt> {
    const check = new StreamingDigest(descriptor, what) // a malformed digest fails before any file exists
    return new CacheFillAttempt(await cache.writer(descriptor), check)
  }

  async write(chunk: Buffer): Promise<void> {
    this.check.update(chunk)
    await this.writer.write(chunk)
  }

  async finish(): Promise<void> {
    this.check.verify()
  }

  commit(): Promise<void> {
    return this.writer.commit()
  }

  abort(): Promise<void> {
    return this.writer.abort()
  }
}
