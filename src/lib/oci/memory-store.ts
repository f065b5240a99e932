import {NotFoundError} from '../errors.js'
import {type BlobBody, bodyBuffer, isBlobFile} from '../util/blob-body.js'
import {verifyContent} from './digest.js'
import type {Descriptor} from './media-types.js'
import type {Location} from './reference.js'
import {ofArtifactType, referrerOf} from './referrers.js'
import type {ContentStore, ManifestContent} from './store.js'

/** A freshly built artifact held in memory: the source store of a push. */
export class MemoryStore implements ContentStore {
  readonly location: Location = {kind: 'layout', root: '(memory)'}
  private readonly blobs = new Map<string, BlobBody>()
  private readonly manifests = new Map<string, ManifestContent>()

  /** Content the caller produced and hashed itself (a file body stays on disk). */
  addBlob(descriptor: Descriptor, data: BlobBody): void {
    this.blobs.set(descriptor.digest, data)
  }

  addManifest(manifest: ManifestContent, tag: string): void {
    this.manifests.set(tag, manifest)
    this.manifests.set(manifest.descriptor.digest, manifest)
  }

  private missing(what: string): NotFoundError {
    return new NotFoundError(`${what} is not part of the artifact being pushed`, {hint: 'this is a bug; please report it'})
  }

  async resolve(_repository: string, reference: string): Promise<Descriptor> {
    const found = this.manifests.get(reference)
    if (!found) throw this.missing(reference)
    return found.descriptor
  }

  async fetchManifest(_repository: string, reference: string): Promise<ManifestContent> {
    const found = this.manifests.get(reference)
    if (!found) throw this.missing(reference)
    return found
  }

  async hasManifest(_repository: string, digest: string): Promise<boolean> {
    return this.manifests.has(digest)
  }

  async pushManifest(_repository: string, manifest: ManifestContent, tag?: string): Promise<void> {
    this.addManifest(manifest, tag ?? manifest.descriptor.digest)
  }

  async hasBlob(_repository: string, descriptor: Descriptor): Promise<boolean> {
    return this.blobs.has(descriptor.digest)
  }

  async fetchBlob(repository: string, descriptor: Descriptor): Promise<Buffer> {
    return bodyBuffer(await this.openBlob(repository, descriptor))
  }

  async openBlob(_repository: string, descriptor: Descriptor): Promise<BlobBody> {
    const data = this.blobs.get(descriptor.digest)
    if (!data) throw this.missing(descriptor.digest)
    return data
  }

  /** Content in memory is verified like any store's; a file body is verified by whoever reads it. */
  async pushBlob(_repository: string, descriptor: Descriptor, data: BlobBody): Promise<void> {
    if (!isBlobFile(data)) verifyContent(data, descriptor, `blob ${descriptor.digest}`)
    this.addBlob(descriptor, data)
  }

  async listTags(): Promise<string[]> {
    return [...this.manifests.keys()].filter((k) => !k.startsWith('sha256:'))
  }

  async listRepositories(): Promise<string[]> {
    return []
  }

  async deleteManifest(_repository: string, digest: string): Promise<void> {
    for (const [key, value] of this.manifests) if (value.descriptor.digest === digest) this.manifests.delete(key)
  }

  async deleteReferrers(repository: string, subjectDigest: string): Promise<string[]> {
    const deleted: string[] = []
    for (const referrer of await this.listReferrers(repository, subjectDigest)) {
      deleted.push(...(await this.deleteReferrers(repository, referrer.digest)), referrer.digest)
      await this.deleteManifest(repository, referrer.digest)
    }
    return deleted
  }

  /** Scans the manifests held: few, in memory, already verified. */
  async listReferrers(_repository: string, subjectDigest: string, artifactType?: string): Promise<Descriptor[]> {
    const referrers = new Map<string, Descriptor>()
    for (const manifest of this.manifests.values()) {
      const referrer = referrerOf(manifest)
      if (referrer?.subject === subjectDigest) referrers.set(referrer.descriptor.digest, referrer.descriptor)
    }
    return ofArtifactType([...referrers.values()], artifactType)
  }

  async close(): Promise<void> {}
}
