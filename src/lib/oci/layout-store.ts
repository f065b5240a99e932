import {mkdir, readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import {IntegrityError, NotFoundError, RegistryError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {withFileLock} from '../util/file-lock.js'
import {type BlobBody, type BlobFile, bodyChunks, isBlobFile} from '../util/blob-body.js'
import {digestHex, isDigest, verifiedChunks, verifyContent} from './digest.js'
import {assertDocumentSize, MAX_DOCUMENT_BYTES, MAX_LAYOUT_INDEX_ENTRIES} from './limits.js'
import {checkDescriptor} from './manifest-document.js'
import {Annotation, type Descriptor, type ImageIndex, MediaType} from './media-types.js'
import type {Location} from './reference.js'
import {ofArtifactType, type ReferrerOf, referrerOf, stringRecord} from './referrers.js'
import type {ContentStore, ManifestContent} from './store.js'
import {type Expected, openUntrusted, readUntrusted} from '../util/untrusted-file.js'

const LAYOUT_FILE = JSON.stringify({imageLayoutVersion: '1.0.0'})

/**
 * An OCI image layout store: each repository is a layout folder (`oci-layout`,
 * `index.json`, `blobs/sha256/`) under the root. Blobs and index.json are written
 * atomically (temp file, then rename); index updates are serialized by a lock file.
 *
 * A layout may have been copied in from anywhere, so its files are read like a registry's
 * answers (untrusted-file.ts): regular files only (no link, FIFO or device), of the size
 * the descriptor gives, index.json and manifests at most MAX_DOCUMENT_BYTES.
 */
export class LayoutStore implements ContentStore {
  readonly location: Location

  constructor(readonly root: string) {
    this.location = {kind: 'layout', root}
  }

  private dir(repository: string): string {
    return repository ? path.join(this.root, ...repository.split('/')) : this.root
  }

  private blobPath(repository: string, digest: string): string {
    return path.join(this.dir(repository), 'blobs', 'sha256', digestHex(digest))
  }

  private async readIndex(repository: string): Promise<ImageIndex> {
    const file = path.join(this.dir(repository), 'index.json')
    const found = await readUntrusted(file, {max: MAX_DOCUMENT_BYTES})
    if (found.kind === 'missing') return {schemaVersion: 2, manifests: []}
    if (found.kind === 'unusable')
      throw new RegistryError(`${file} cannot be used as an OCI image index: ${found.reason}`, {hint: 'repair or remove the layout folder', details: {file}})
    const text = found.data.toString('utf8')
    try {
      const index = JSON.parse(text) as ImageIndex
      if (!Array.isArray(index.manifests)) throw new Error('no "manifests" list')
      // Every entry is a path (its digest), a read bound (its size) and, for a referrer lookup,
      // a manifest to read: each is checked, and their number bounded, before any is used.
      if (index.manifests.length > MAX_LAYOUT_INDEX_ENTRIES)
        throw new Error(`${index.manifests.length} entries, more than the ${MAX_LAYOUT_INDEX_ENTRIES} allowed`)
      index.manifests.forEach((entry, i) => {
        checkDescriptor(entry, `manifests[${i}]`, 'index.json')
        const {annotations} = entry as {annotations?: unknown}
        if (annotations !== undefined && !stringRecord(annotations)) throw new Error(`manifests[${i}].annotations is not a map of strings`)
      })
      return index
    } catch (error) {
      throw new RegistryError(`${file} is not a valid OCI image index: ${(error as Error).message}`, {
        hint: 'repair or remove the layout folder',
        details: {file},
      })
    }
  }

  private async updateIndex(repository: string, change: (index: ImageIndex) => void | Promise<void>): Promise<void> {
    const dir = this.dir(repository)
    await mkdir(dir, {recursive: true})
    await withFileLock(path.join(dir, '.index.lock'), {waitMs: 30_000, purpose: 'OCI layout index update'}, async () => {
      const layoutFile = path.join(dir, 'oci-layout')
      if (!(await exists(layoutFile))) await writeFileAtomic(layoutFile, LAYOUT_FILE)
      const index = await this.readIndex(repository)
      await change(index)
      if (index.manifests.length > MAX_LAYOUT_INDEX_ENTRIES)
        throw new RegistryError(
          `${path.join(dir, 'index.json')} would list ${index.manifests.length} entries, more than the ${MAX_LAYOUT_INDEX_ENTRIES} a layout may hold`,
          {
            hint: 'delete versions you no longer need ("provisioning oci delete"), or publish to a registry',
            details: {layout: dir, limit: MAX_LAYOUT_INDEX_ENTRIES},
          },
        )
      await writeFileAtomic(path.join(dir, 'index.json'), `${JSON.stringify({...index, schemaVersion: 2, mediaType: MediaType.imageIndex}, null, 2)}\n`)
    })
  }

  private notFound(repository: string, reference: string): NotFoundError {
    return new NotFoundError(`${reference} not found in ${this.dir(repository)}`, {
      hint: 'list what the layout holds with "provisioning oci tags NAME"',
      details: {layout: this.dir(repository), reference},
    })
  }

  async resolve(repository: string, reference: string): Promise<Descriptor> {
    const index = await this.readIndex(repository)
    const found = isDigest(reference)
      ? index.manifests.find((m) => m.digest === reference)
      : index.manifests.find((m) => m.annotations?.[Annotation.refName] === reference)
    if (found) return found
    if (isDigest(reference) && (await exists(this.blobPath(repository, reference)))) {
      const bytes = await this.readVerified(repository, {digest: reference}, {max: MAX_DOCUMENT_BYTES})
      const mediaType = (JSON.parse(bytes.toString('utf8')) as {mediaType?: string}).mediaType ?? MediaType.imageManifest
      return {mediaType, digest: reference, size: bytes.byteLength}
    }
    throw this.notFound(repository, reference)
  }

  private async readVerified(
    repository: string,
    descriptor: {digest: string; size?: number},
    expected: Expected = {size: descriptor.size, max: descriptor.size ?? MAX_DOCUMENT_BYTES},
  ): Promise<Buffer> {
    const file = this.blobPath(repository, descriptor.digest)
    const found = await readUntrusted(file, expected)
    if (found.kind === 'missing') throw this.notFound(repository, descriptor.digest)
    if (found.kind === 'unusable') throw this.unusable(repository, descriptor.digest, found.reason)
    verifyContent(found.data, descriptor, `blob ${descriptor.digest} in ${this.dir(repository)}`)
    return found.data
  }

  private unusable(repository: string, digest: string, reason: string): IntegrityError {
    return new IntegrityError(`blob ${digest} in ${this.dir(repository)} cannot be used: ${reason}`, {
      hint: 'the layout is damaged or hostile; copy the artifact into it again from a trusted source',
      details: {digest, layout: this.dir(repository), reason},
    })
  }

  async fetchManifest(repository: string, reference: string): Promise<ManifestContent> {
    const descriptor = await this.resolve(repository, reference)
    assertDocumentSize(descriptor, `manifest ${reference} in ${this.dir(repository)}`)
    return {descriptor, bytes: await this.readVerified(repository, descriptor)}
  }

  async hasManifest(repository: string, digest: string): Promise<boolean> {
    return exists(this.blobPath(repository, digest))
  }

  async pushManifest(repository: string, manifest: ManifestContent, tag?: string): Promise<void> {
    await this.pushBlob(repository, manifest.descriptor, manifest.bytes)
    await this.updateIndex(repository, async (index) => {
      // A tag moves to the new manifest; an untagged push adds the digest once.
      const keep = index.manifests.filter((m) =>
        tag ? m.annotations?.[Annotation.refName] !== tag : m.digest !== manifest.descriptor.digest || Boolean(m.annotations?.[Annotation.refName]),
      )
      const {annotations: _ignored, ...plain} = manifest.descriptor
      // A referrer is listed with its artifactType (as oras-go's layout store does), untagged
      // when pushed without a tag: listTags only counts entries with a ref.name.
      const artifactType = referrerOf(manifest)?.descriptor.artifactType
      keep.push({...plain, ...(artifactType ? {artifactType} : {}), ...(tag ? {annotations: {[Annotation.refName]: tag}} : {})})
      const replaced = tag ? index.manifests.find((m) => m.annotations?.[Annotation.refName] === tag && m.digest !== manifest.descriptor.digest) : undefined
      if (replaced && !keep.some((m) => m.digest === replaced.digest) && (await this.hasReferrers(repository, keep, replaced.digest))) {
        // The tag moved off a manifest that has signatures (a forced republish): whoever pinned
        // its digest (a lock file) still finds it and its signatures, as on a registry, where a
        // moved tag deletes nothing. Kept untagged, so its referrers' subject stays in the
        // index; `oci delete NAME@DIGEST` removes it with them.
        const {annotations, ...entry} = replaced
        const {[Annotation.refName]: _tag, ...rest} = annotations ?? {}
        keep.push({...entry, ...(Object.keys(rest).length > 0 ? {annotations: rest} : {})})
      }
      index.manifests = keep
    })
  }

  /**
   * Present means present and intact: a local file is cheap to hash, and a damaged one
   * reported as present would never be repaired by pushing again.
   */
  async hasBlob(repository: string, descriptor: Descriptor): Promise<boolean> {
    try {
      await this.readVerified(repository, descriptor)
      return true
    } catch {
      return false
    }
  }

  fetchBlob(repository: string, descriptor: Descriptor): Promise<Buffer> {
    return this.readVerified(repository, descriptor)
  }

  /**
   * The blob file itself, for streaming on; whoever consumes it verifies it (and reads it
   * under the same rule again: bodyChunks).
   */
  async openBlob(repository: string, descriptor: Descriptor): Promise<BlobBody> {
    const file = this.blobPath(repository, descriptor.digest)
    const opened = await openUntrusted(file, {size: descriptor.size, max: descriptor.size})
    if (opened.kind === 'missing') throw this.notFound(repository, descriptor.digest)
    if (opened.kind === 'unusable') throw this.unusable(repository, descriptor.digest, opened.reason)
    await opened.handle.close()
    return {file, size: opened.size}
  }

  async pushBlob(repository: string, descriptor: Descriptor, data: BlobBody): Promise<void> {
    const what = `blob ${descriptor.digest}`
    if (!isBlobFile(data)) verifyContent(data, descriptor, what)
    if (await this.hasBlob(repository, descriptor)) return
    const target = this.blobPath(repository, descriptor.digest)
    if (isBlobFile(data)) await copyVerified(data, target, descriptor, what)
    else await writeFileAtomic(target, data)
  }

  async listTags(repository: string): Promise<string[]> {
    if (!(await exists(path.join(this.dir(repository), 'index.json')))) throw this.notFound(repository, 'repository')
    const index = await this.readIndex(repository)
    return [...new Set(index.manifests.map((m) => m.annotations?.[Annotation.refName]).filter((t): t is string => Boolean(t)))]
  }

  /** Layout folders below the root (a repository per folder holding `oci-layout`). */
  async listRepositories(): Promise<string[]> {
    const found: string[] = []
    const walk = async (dir: string, depth: number): Promise<void> => {
      const entries = await readdir(dir, {withFileTypes: true}).catch(() => [])
      if (entries.some((e) => e.name === 'oci-layout' && e.isFile())) found.push(path.relative(this.root, dir).split(path.sep).join('/'))
      if (depth === 0) return
      for (const e of entries) if (e.isDirectory() && e.name !== 'blobs' && !e.name.startsWith('.')) await walk(path.join(dir, e.name), depth - 1)
    }
    await walk(this.root, 4)
    return found.sort()
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    let removed = false
    await this.updateIndex(repository, (index) => {
      const before = index.manifests.length
      index.manifests = index.manifests.filter((m) => m.digest !== digest)
      removed = index.manifests.length < before
    })
    if (!removed) throw this.notFound(repository, digest)
  }

  /**
   * Removes the index.json entries of the referrers of `subjectDigest`, of theirs, and so on:
   * a referrer in a layout is its entry. Blobs stay (as deleteManifest leaves them), and an
   * entry whose manifest is missing or damaged names no subject we can know: it stays.
   */
  async deleteReferrers(repository: string, subjectDigest: string): Promise<string[]> {
    if (!(await exists(path.join(this.dir(repository), 'index.json')))) return []
    const gone = new Set<string>()
    await this.updateIndex(repository, async (index) => {
      const referrers = await this.referrersIn(repository, index.manifests, 'skip')
      let subjects = new Set([subjectDigest])
      while (subjects.size > 0) {
        const next = referrers.filter((r) => subjects.has(r.subject) && !gone.has(r.descriptor.digest)).map((r) => r.descriptor.digest)
        for (const digest of next) gone.add(digest)
        subjects = new Set(next)
      }
      index.manifests = index.manifests.filter((m) => !gone.has(m.digest))
    })
    return [...gone]
  }

  /**
   * Reads the manifests and indexes index.json lists (each once, bounded and verified; never a
   * layer) and keeps those whose subject is `subjectDigest`: OCI 1.1 lets an image index be a
   * referrer too. An entry whose manifest is missing is skipped (a dangling entry names
   * nothing); a damaged one is refused (exit 8).
   */
  async listReferrers(repository: string, subjectDigest: string, artifactType?: string): Promise<Descriptor[]> {
    if (!(await exists(path.join(this.dir(repository), 'index.json')))) return []
    const index = await this.readIndex(repository)
    const referrers = (await this.referrersIn(repository, index.manifests, 'refuse')).filter((r) => r.subject === subjectDigest)
    return ofArtifactType(
      referrers.map((r) => r.descriptor),
      artifactType,
    )
  }

  private async hasReferrers(repository: string, entries: Descriptor[], subjectDigest: string): Promise<boolean> {
    return (await this.referrersIn(repository, entries, 'skip')).some((r) => r.subject === subjectDigest)
  }

  /**
   * The referrers among `entries` (OCI manifests and indexes, each read once), with their
   * subjects. A missing manifest is skipped; a damaged one is refused (exit 8), or skipped
   * with `damaged: 'skip'` where it only decides what to clean up (a damaged entry must not
   * keep a delete from working).
   */
  private async referrersIn(repository: string, entries: Descriptor[], damaged: 'refuse' | 'skip'): Promise<ReferrerOf[]> {
    const referrers = new Map<string, ReferrerOf>()
    const read = new Set<string>()
    for (const entry of entries) {
      if ((entry.mediaType !== MediaType.imageManifest && entry.mediaType !== MediaType.imageIndex) || read.has(entry.digest)) continue
      read.add(entry.digest)
      const bytes = await this.readEntry(repository, entry).catch((error: unknown) => {
        if (error instanceof NotFoundError || (damaged === 'skip' && error instanceof IntegrityError)) return undefined
        throw error
      })
      const referrer = bytes && referrerOf({descriptor: entry, bytes})
      if (referrer) referrers.set(entry.digest, referrer)
    }
    return [...referrers.values()]
  }

  private async readEntry(repository: string, entry: Descriptor): Promise<Buffer> {
    assertDocumentSize(entry, `manifest ${entry.digest} in ${this.dir(repository)}`)
    return this.readVerified(repository, entry)
  }

  async close(): Promise<void> {}
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  )
}

/** Copies a file body to `target` atomically (temp file, fsync, rename), hashing it on the way. */
async function copyVerified(body: BlobFile, target: string, descriptor: Descriptor, what: string): Promise<void> {
  // A mismatch fails the write: the temp file goes, the target stays as it was.
  await writeFileAtomic(target, verifiedChunks(bodyChunks(body), descriptor, what))
}
