import type {BlobBody} from '../util/blob-body.js'
import type {Descriptor} from './media-types.js'
import type {Location} from './reference.js'

export interface ManifestContent {
  descriptor: Descriptor
  bytes: Buffer
}

/**
 * Where artifacts are kept: a remote registry or an OCI image layout on disk (as in
 * oras-go). Every read is verified against its digest before it is returned; push,
 * pull and copy are all `copyArtifact` between two stores.
 */
export interface ContentStore {
  readonly location: Location
  /** Descriptor of the manifest a tag or digest points to (NotFoundError when absent). */
  resolve(repository: string, reference: string): Promise<Descriptor>
  fetchManifest(repository: string, reference: string): Promise<ManifestContent>
  hasManifest(repository: string, digest: string): Promise<boolean>
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
  /** Cross-repository mount within the same store; false when the store can't. */
  mountBlob(repository: string, descriptor: Descriptor, fromRepository: string): Promise<boolean>
  listTags(repository: string): Promise<string[]>
  listRepositories(): Promise<string[]>
  /** Removes the manifest (and so its tags) by digest. */
  deleteManifest(repository: string, digest: string): Promise<void>
  close(): Promise<void>
}
