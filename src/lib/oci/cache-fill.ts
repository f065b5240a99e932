import {IntegrityError} from '../errors.js'
import type {BlobCache, BlobCacheWriter} from './blob-cache.js'
import {StreamingDigest} from './digest.js'
import type {StreamedBlobAttempt} from './layer-stream.js'
import type {Descriptor} from './media-types.js'
import type {RegistryStore} from './registry-store.js'

/**
 * Puts a large blob into the blob cache without ever holding it in memory (SPEC §8.3
 * "Integrity": verified before caching, a cached digest is never fetched again). Used by
 * `dep resolve`, which fills the cache for every layer first and unpacks from the cache
 * file afterwards (see cached-layer.ts), so nothing in the workspace changes before every
 * download has been verified.
 */

export const isMissingFile = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'

/**
 * Whether the cache holds the blob, intact: the entry is hashed as it is read (1 MiB
 * pieces). A damaged entry (a crash mid-write, a disk error, an edit) is removed, so the
 * caller fetches it again instead of ever using it.
 */
export async function hasIntactBlob(cache: BlobCache, descriptor: Descriptor): Promise<boolean> {
  const check = new StreamingDigest(descriptor, `cached blob ${descriptor.digest}`)
  try {
    for await (const chunk of cache.read(descriptor)) check.update(chunk)
    check.verify()
    return true
  } catch (error) {
    if (isMissingFile(error)) return false
    if (!(error instanceof IntegrityError)) throw error
    await cache.remove(descriptor)
    return false
  }
}

/**
 * Downloads a blob from a registry straight into the cache: each attempt (the first and
 * every retry of RegistryStore.fetchBlobStreaming) writes a fresh temp file while hashing,
 * refuses more bytes than the descriptor's size, and is aborted (temp file removed) when
 * it fails. The entry appears only once size and digest checked out.
 */
export async function fillCacheStreaming(cache: BlobCache, store: RegistryStore, repository: string, descriptor: Descriptor, what: string): Promise<void> {
  let attempt: CacheFillAttempt | undefined
  await store.fetchBlobStreaming(repository, descriptor, async () => {
    attempt = await CacheFillAttempt.open(cache, descriptor, what)
    return attempt
  })
  // Verified by finish(); commit() removes the temp file itself when the rename fails.
  await attempt!.commit()
}

class CacheFillAttempt implements StreamedBlobAttempt<void> {
  private constructor(private readonly writer: BlobCacheWriter, private readonly check: StreamingDigest) {}

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
