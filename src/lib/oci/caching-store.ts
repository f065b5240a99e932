import type {BlobBody} from '../util/blob-body.js'
import type {BlobCache} from './blob-cache.js'
import {isBlobFile} from '../util/blob-body.js'
import type {Descriptor} from './media-types.js'
import type {Location} from './reference.js'
import {type BlobRead, canStream, type ContentStore, type ManifestContent} from './store.js'
import type {SizeCap} from './cache-fill.js'
import {STREAM_LAYER_THRESHOLD_BYTES} from './stream-threshold.js'

export interface BlobReadOptions {
  /** Serve from the cache only (--offline): the error to throw on a miss, before any request. */
  cacheOnly?: () => Error
  /**
   * The largest declared size of a large blob accepted before anything is requested; null
   * (the default: any artifact, container images with multi-GiB layers included) leaves
   * only the declared size to bound what is read and written.
   */
  cap?: SizeCap | null
  /** What the blob is, for messages (default: blob DIGEST of REPOSITORY). */
  what?: string
}

/**
 * A store whose blob reads go through the blob cache (SPEC §8.3 "Integrity": only verified
 * content is cached, a cached digest is never fetched again). Small blobs are read whole;
 * large ones are streamed (or copied in pieces from a layout's file) into the cache file,
 * verified, and handed on as that file, so they never sit in memory. Everything else is
 * the wrapped store's.
 */
export class CachingStore implements ContentStore {
  readonly location: Location
  readonly fetchBlobStreaming?: ContentStore['fetchBlobStreaming']
  readonly warmUp?: ContentStore['warmUp']
  readonly mountBlob?: ContentStore['mountBlob']
  /** Never cached: referrers are added (a new signature) without the subject changing. */
  readonly listReferrers?: ContentStore['listReferrers']

  constructor(
    readonly origin: ContentStore,
    readonly cache: BlobCache,
  ) {
    this.location = origin.location
    this.fetchBlobStreaming = origin.fetchBlobStreaming?.bind(origin)
    this.warmUp = origin.warmUp?.bind(origin)
    this.mountBlob = origin.mountBlob?.bind(origin)
    this.listReferrers = origin.listReferrers?.bind(origin)
  }

  /** A small blob, whole and verified: from the cache, or fetched and cached. */
  async readWhole(repository: string, descriptor: Descriptor, options: BlobReadOptions = {}): Promise<{data: Buffer; cached: boolean}> {
    return this.cache.through(descriptor, () => {
      if (options.cacheOnly) throw options.cacheOnly()
      return this.origin.fetchBlob(repository, descriptor)
    })
  }

  /**
   * A blob through the cache: a large one (STREAM_LAYER_THRESHOLD_BYTES) as the verified
   * cache file, a small one in memory.
   */
  async readBlob(repository: string, descriptor: Descriptor, options: BlobReadOptions = {}): Promise<BlobRead> {
    // A size that is not a number is read whole: the store's read refuses it before any request.
    const large = descriptor.size >= STREAM_LAYER_THRESHOLD_BYTES
    if (!large) {
      const {data, cached} = await this.readWhole(repository, descriptor, options)
      return {body: data, cached}
    }
    const what = options.what ?? `blob ${descriptor.digest} of ${repository}`
    const cap = options.cap ?? null
    const {fillCacheFromFile, fillCacheStreaming, hasIntactBlob} = await import('./cache-fill.js')
    // Hashed as it is read: a damaged entry is removed and fetched again.
    if (await hasIntactBlob(this.cache, descriptor)) return {body: this.entry(descriptor), cached: true}
    if (options.cacheOnly) throw options.cacheOnly()
    if (canStream(this.origin)) {
      await fillCacheStreaming(this.cache, this.origin, repository, descriptor, what, cap)
      return {body: this.entry(descriptor), cached: false}
    }
    const body = await this.origin.openBlob(repository, descriptor)
    if (!isBlobFile(body)) {
      await this.cache.put(descriptor, body) // verified before it is cached
      return {body, cached: false}
    }
    await fillCacheFromFile(this.cache, body.file, descriptor, what, cap)
    return {body: this.entry(descriptor), cached: false}
  }

  private entry(descriptor: Descriptor): BlobBody {
    return {file: this.cache.file(descriptor.digest), size: descriptor.size}
  }

  async fetchBlob(repository: string, descriptor: Descriptor): Promise<Buffer> {
    return (await this.readWhole(repository, descriptor)).data
  }

  async openBlob(repository: string, descriptor: Descriptor): Promise<BlobBody> {
    return (await this.readBlob(repository, descriptor)).body
  }

  resolve(repository: string, reference: string): Promise<Descriptor> {
    return this.origin.resolve(repository, reference)
  }

  fetchManifest(repository: string, reference: string): Promise<ManifestContent> {
    return this.origin.fetchManifest(repository, reference)
  }

  hasManifest(repository: string, digest: string): Promise<boolean> {
    return this.origin.hasManifest(repository, digest)
  }

  pushManifest(repository: string, manifest: ManifestContent, tag?: string): Promise<void> {
    return this.origin.pushManifest(repository, manifest, tag)
  }

  hasBlob(repository: string, descriptor: Descriptor): Promise<boolean> {
    return this.origin.hasBlob(repository, descriptor)
  }

  pushBlob(repository: string, descriptor: Descriptor, data: BlobBody): Promise<void> {
    return this.origin.pushBlob(repository, descriptor, data)
  }

  listTags(repository: string): Promise<string[]> {
    return this.origin.listTags(repository)
  }

  listRepositories(): Promise<string[]> {
    return this.origin.listRepositories()
  }

  deleteManifest(repository: string, digest: string): Promise<void> {
    return this.origin.deleteManifest(repository, digest)
  }

  deleteReferrers(repository: string, subjectDigest: string): Promise<string[]> {
    return this.origin.deleteReferrers(repository, subjectDigest)
  }

  close(): Promise<void> {
    return this.origin.close()
  }
}
