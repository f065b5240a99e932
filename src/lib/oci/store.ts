import type {BlobBody} from '../util/blob-body.js'
import type {BodySink} from './http-transport.js'
import type {Descriptor} from './media-types.js'
import type {Location} from './reference.js'

export interface ManifestContent {
  descriptor: Descriptor
  bytes: Buffer
}

/**
 * Where artifacts are kept: a remote registry or an OCI image layout on disk (as in
 * oras-go). Every read is verified against its digest before it is returned; push and
 * copy are `copyArtifact` between two stores, pull reads the layer through
 * artifact/install-layer.ts.
 */
export interface ContentStore {
  readonly location: Location
  /** Descriptor of the manifest a tag or digest points to (NotFoundError when absent). */
  resolve(repository: string, reference: string): Promise<Descriptor>
  fetchManifest(repository: string, reference: string): Promise<ManifestContent>
  hasManifest(repository: string, digest: string): Promise<boolean>
  /**
   * Stores a manifest (and tags it). A manifest with a `subject` becomes a referrer of that
   * manifest: a registry without the referrers API gets the OCI 1.1 referrers tag schema
   * (the image index under the tag `sha256-<hex>` is updated), a layout lists it in index.json.
   */
  pushManifest(repository: string, manifest: ManifestContent, tag?: string): Promise<void>
  hasBlob(repository: string, descriptor: Descriptor): Promise<boolean>
  fetchBlob(repository: string, descriptor: Descriptor): Promise<Buffer>
  /**
   * The blob for copying on to another store: verified content in memory, or a file
   * (a local blob, streamed rather than read whole) that the receiving pushBlob verifies.
   */
  openBlob(repository: string, descriptor: Descriptor): Promise<BlobBody>
  /** Stores a blob, verifying it against the descriptor first (or as a file body streams by). */
  pushBlob(repository: string, descriptor: Descriptor, data: BlobBody): Promise<void>
  listTags(repository: string): Promise<string[]>
  listRepositories(): Promise<string[]>
  /**
   * Removes the manifest (and so its tags) by digest. A referrer also leaves its subject's
   * list: a registry without the referrers API gets the subject's `sha256-<hex>` index
   * rewritten without it (deleted when that empties it), a layout drops its entry.
   */
  deleteManifest(repository: string, digest: string): Promise<void>
  /**
   * Before a manifest is deleted: deletes its referrers (signatures…), theirs, and so on, and
   * the store's list of them (a registry's `sha256-<hex>` index), so that nothing is left
   * referring to a manifest that is gone. Only manifests that name the subject are deleted,
   * whatever a listing says. Returns the digests of the referrers deleted.
   */
  deleteReferrers(repository: string, subjectDigest: string): Promise<string[]>
  close(): Promise<void>

  /*
   * Optional abilities: callers check for them (canStream below, `store.mountBlob ?`), never for a class. Tag and repository listing stay required: the distribution API and the layout format both have them.
   */

  /**
   * GET of a blob whose body goes to a sink as it arrives, never held in memory. Every
   * attempt (the first and each retry after a reset or truncated body) gets a fresh
   * attempt from `open`, which is aborted when that attempt fails.
   */
  fetchBlobStreaming?<T>(repository: string, descriptor: Descriptor, open: () => Promise<StreamedBlobAttempt<T>>): Promise<T>
  /** A blob read through a cache (CachingStore), saying whether the cache served it. */
  readBlob?(repository: string, descriptor: Descriptor): Promise<BlobRead>
  /** Starts connecting now (e.g. while packaging), so the first request does not wait for it. */
  warmUp?(): void
  /** Cross-repository mount within the same store (a registry); false when it refused this one. */
  mountBlob?(repository: string, descriptor: Descriptor, fromRepository: string): Promise<boolean>
  /**
   * OCI 1.1 referrers of a manifest: descriptors (with artifactType and annotations) of the
   * manifests whose `subject` is `subjectDigest`, only those of `artifactType` when given.
   * A registry answers from its referrers API (every page of it), else from the referrers tag
   * schema; none is [].
   * What a registry lists is checked and bounded (referrers.ts: parseReferrersIndex), and a
   * caller that follows an entry still checks that the manifest names the subject (copy.ts).
   * Never cached (CachingStore passes it through): a new signature changes it, not the subject.
   */
  listReferrers?(repository: string, subjectDigest: string, artifactType?: string): Promise<Descriptor[]>
}

export interface BlobRead {
  /** Verified content in memory, or the verified cache file of a large blob. */
  body: BlobBody
  cached: boolean
}

/** One download attempt of a streamed blob: a body sink, then finish() or abort(). */
export interface StreamedBlobAttempt<T> extends BodySink {
  /** The body arrived whole: verify it and complete the work (without publishing anything). */
  finish(): Promise<T>
  /** The attempt failed: remove everything it created. */
  abort(): Promise<void>
}

export type StreamingStore = ContentStore & Required<Pick<ContentStore, 'fetchBlobStreaming'>>

/** Whether blobs of this store can be streamed to a sink as they arrive (a registry). */
export function canStream(store: ContentStore): store is StreamingStore {
  return typeof store.fetchBlobStreaming === 'function'
}
