import {IntegrityError, isProvisioningError} from '../errors.js'
import {ArchiveExtraction, type ExtractResult} from '../extension/extract.js'
import type {BlobCache, BlobCacheWriter} from '../oci/blob-cache.js'
import {StreamingDigest} from '../oci/digest.js'
import type {Descriptor} from '../oci/media-types.js'
import type {StreamedBlobAttempt} from '../oci/store.js'

/** The attempt, telling `onBytes` how many bytes of this attempt arrived so far (progress). */
export function meteredAttempt<T>(attempt: StreamedBlobAttempt<T>, onBytes?: (received: number) => void): StreamedBlobAttempt<T> {
  if (!onBytes) return attempt
  let received = 0
  return {
    write(chunk) {
      received += chunk.byteLength
      onBytes(received)
      return attempt.write(chunk)
    },
    finish: () => attempt.finish(),
    abort: () => attempt.abort(),
  }
}

/**
 * One attempt at pulling an extension layer in a single pass: every chunk is hashed,
 * written to a temp file of the blob cache and unpacked into a temp folder next to the
 * output, all at once. Nothing is published by the attempt itself: once finish() has
 * verified size and digest (and the archive passed every extraction check), the caller
 * commits both with publish(); on any failure abort() removes both temp paths.
 *
 * When the archive is rejected mid-stream (unsafe entry, bomb, corrupt gzip), the next
 * write() throws that rejection: the download stops there (the connection is dropped and,
 * being an IntegrityError, not retried), rather than reading up to 512 MiB more of an
 * archive that will be refused anyway. Content damaged in transit may then be reported as
 * a corrupt archive instead of a digest mismatch; either way nothing is kept.
 */
export class LayerPullAttempt implements StreamedBlobAttempt<ExtractResult> {
  private constructor(
    private readonly descriptor: Descriptor,
    private readonly what: string,
    private readonly check: StreamingDigest,
    private readonly cache: BlobCacheWriter,
    private readonly extraction: ArchiveExtraction,
  ) {}

  static async open(descriptor: Descriptor, what: string, cache: BlobCache, output: string): Promise<LayerPullAttempt> {
    const check = new StreamingDigest(descriptor, what) // sha256 only, well-formed
    const writer = await cache.writer(descriptor)
    try {
      return new LayerPullAttempt(descriptor, what, check, writer, await ArchiveExtraction.open(output, descriptor.size))
    } catch (error) {
      await writer.abort()
      throw error
    }
  }

  async write(chunk: Buffer): Promise<void> {
    // Never takes more than the descriptor promises (a registry streaming forever).
    this.check.update(chunk)
    // Once the archive is rejected the pull fails: stop reading (abort() cleans up).
    const failed = this.extraction.failed
    if (failed) {
      const {digest} = this.descriptor
      throw new IntegrityError(
        `${this.what} (${digest}): ${failed.message}; the download was stopped there (${this.check.bytes} of ${this.descriptor.size} bytes read, nothing kept)`,
        {
          hint: isProvisioningError(failed) && failed.hint ? failed.hint : 'the layer is damaged or hostile; re-push the artifact from a trusted source',
          details: {...(isProvisioningError(failed) ? failed.details : {}), digest},
          cause: failed,
        },
      )
    }
    await Promise.all([this.cache.write(chunk), this.extraction.write(chunk)])
  }

  async finish(): Promise<ExtractResult> {
    this.check.verify()
    return this.extraction.end()
  }

  /** After finish(): caches the verified blob and moves the tree to the output. */
  async publish(): Promise<void> {
    await Promise.all([this.cache.commit(), this.extraction.commit()])
  }

  async abort(): Promise<void> {
    await Promise.all([this.cache.abort(), this.extraction.abort()])
  }
}
