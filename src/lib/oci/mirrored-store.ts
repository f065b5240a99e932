import {AuthError, IntegrityError, isProvisioningError, NotFoundError} from '../errors.js'
import type {BlobBody} from '../util/blob-body.js'
import {isDigest} from './digest.js'
import type {Descriptor} from './media-types.js'
import type {Location} from './reference.js'
import {canStream, type ContentStore, type ManifestContent, type StreamedBlobAttempt, type StreamingStore} from './store.js'

/** A mirror of the registry: its host (for messages) and its own registry store (its own credentials). */
export interface Mirror {
  host: string
  store: StreamingStore
}

/** How often the mirrors were passed over during a run (what `--json` details may report). */
export interface MirrorTally {
  /** Answers taken from a mirror. */
  served: number
  /** A mirror did not have the content (404): the next source was asked. */
  missing: number
  /** A mirror did not answer or refused access: skipped for the rest of the run. */
  unavailable: number
  /** A mirror answered bytes that are not the digest's: discarded, with a warning. */
  rejected: number
}

/**
 * Pull mirrors in front of a registry, as containers' registries.conf with
 * `pull-from-mirror = "digest-only"`: tags are resolved and listed at the registry itself
 * (the authority), and only content addressed by digest (manifests by digest, blobs) is read
 * from the mirrors first, in order, then from the registry. Each mirror store verifies what
 * it reads against the digest, so a mirror cannot change content: a mismatch is discarded
 * with a warning naming the mirror and the next source is asked. A mirror that is down or
 * refuses access is skipped for the rest of the run, one without the content (404) for that
 * read. Pushes, deletes, tag and referrer listings and existence checks (what a push
 * decides on) never go to a mirror.
 */
export class MirroredStore implements ContentStore {
  readonly location: Location
  readonly tally: MirrorTally = {served: 0, missing: 0, unavailable: 0, rejected: 0}
  readonly fetchBlobStreaming?: ContentStore['fetchBlobStreaming']
  readonly warmUp?: ContentStore['warmUp']
  readonly mountBlob?: ContentStore['mountBlob']
  readonly listReferrers?: ContentStore['listReferrers']
  private readonly unavailable = new Set<Mirror>()

  constructor(
    readonly upstream: ContentStore,
    readonly mirrors: Mirror[],
    private readonly onWarning: (message: string) => void = () => undefined,
  ) {
    this.location = upstream.location
    this.warmUp = upstream.warmUp?.bind(upstream)
    this.mountBlob = upstream.mountBlob?.bind(upstream)
    this.listReferrers = upstream.listReferrers?.bind(upstream)
    if (canStream(upstream)) {
      this.fetchBlobStreaming = <T>(repository: string, descriptor: Descriptor, open: () => Promise<StreamedBlobAttempt<T>>) =>
        // Every source streams: the mirrors are registry stores, the registry was just checked.
        this.firstAnswer(`blob ${descriptor.digest}`, (store) => (store as StreamingStore).fetchBlobStreaming(repository, descriptor, open))
    }
  }

  /**
   * The mirrors in order, then the registry: the first verified answer. The registry's own
   * failure is the outcome; a mirror's is noted (see MirrorTally) and passed over.
   */
  private async firstAnswer<T>(what: string, read: (store: ContentStore) => Promise<T>): Promise<T> {
    for (const mirror of this.mirrors) {
      if (this.unavailable.has(mirror)) continue
      try {
        const answer = await read(mirror.store)
        this.tally.served++
        return answer
      } catch (error) {
        if (!isProvisioningError(error)) throw error
        this.passOver(mirror, what, error)
      }
    }
    return read(this.upstream)
  }

  private passOver(mirror: Mirror, what: string, error: Error): void {
    if (error instanceof NotFoundError) {
      this.tally.missing++
    } else if (error instanceof IntegrityError) {
      this.tally.rejected++
      // A mirror that lied once is not asked again this run: each lie costs a whole download.
      this.unavailable.add(mirror)
      this.onWarning(
        `mirror ${mirror.host} answered ${what} with content that does not match its digest (${error.message}); discarded, read from the next source instead, and the mirror skipped for the rest of this run`,
      )
    } else {
      this.tally.unavailable++
      this.unavailable.add(mirror)
      if (error instanceof AuthError)
        this.onWarning(`mirror ${mirror.host} refused access (${error.message}); skipped for this run (log in with "provisioning oci login ${mirror.host}")`)
    }
  }

  resolve(repository: string, reference: string): Promise<Descriptor> {
    return this.upstream.resolve(repository, reference)
  }

  fetchManifest(repository: string, reference: string): Promise<ManifestContent> {
    if (!isDigest(reference)) return this.upstream.fetchManifest(repository, reference)
    return this.firstAnswer(`manifest ${reference}`, (store) => store.fetchManifest(repository, reference))
  }

  fetchBlob(repository: string, descriptor: Descriptor): Promise<Buffer> {
    return this.firstAnswer(`blob ${descriptor.digest}`, (store) => store.fetchBlob(repository, descriptor))
  }

  openBlob(repository: string, descriptor: Descriptor): Promise<BlobBody> {
    return this.firstAnswer(`blob ${descriptor.digest}`, (store) => store.openBlob(repository, descriptor))
  }

  hasManifest(repository: string, digest: string): Promise<boolean> {
    return this.upstream.hasManifest(repository, digest)
  }

  hasBlob(repository: string, descriptor: Descriptor): Promise<boolean> {
    return this.upstream.hasBlob(repository, descriptor)
  }

  pushManifest(repository: string, manifest: ManifestContent, tag?: string): Promise<void> {
    return this.upstream.pushManifest(repository, manifest, tag)
  }

  pushBlob(repository: string, descriptor: Descriptor, data: BlobBody): Promise<void> {
    return this.upstream.pushBlob(repository, descriptor, data)
  }

  listTags(repository: string): Promise<string[]> {
    return this.upstream.listTags(repository)
  }

  listRepositories(): Promise<string[]> {
    return this.upstream.listRepositories()
  }

  deleteManifest(repository: string, digest: string): Promise<void> {
    return this.upstream.deleteManifest(repository, digest)
  }

  deleteReferrers(repository: string, subjectDigest: string): Promise<string[]> {
    return this.upstream.deleteReferrers(repository, subjectDigest)
  }

  async close(): Promise<void> {
    await Promise.all([this.upstream, ...this.mirrors.map((m) => m.store)].map((store) => store.close()))
  }
}
