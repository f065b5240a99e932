import {IntegrityError, NotFoundError, RegistryError} from '../errors.js'
import {scope} from './auth-challenge.js'
import {type BlobBody, isBlobFile} from '../util/blob-body.js'
import {verifyingStream} from './verifying-stream.js'
import {digestHex, isDigest, sha256, verifyContent} from './digest.js'
import {type Descriptor, type ImageIndex, MANIFEST_ACCEPT, MediaType} from './media-types.js'
import type {Location} from './reference.js'
import {RegistryClient, type RegistryClientOptions, type RegistryRequest, type RegistryResponse, responseHeader} from './registry-client.js'
import {assertDocumentSize, MAX_DOCUMENT_BYTES, MAX_LISTING_BYTES, MAX_PAGE_BYTES, MAX_PAGES} from './limits.js'
import type {ContentStore, ManifestContent, StreamedBlobAttempt} from './store.js'
import {
  emptyReferrersIndex,
  MAX_REFERRER_CLOSURE,
  MAX_REFERRER_DEPTH,
  MAX_REFERRERS,
  ofArtifactType,
  parseReferrersIndex,
  referrerOf,
  referrersTag,
  tooManyReferrers,
  withReferrer,
} from './referrers.js'

const PAGE_SIZE = 1000

/**
 * The media type a manifest answered without Content-Type declares in its own `mediaType`
 * field (an image manifest when it has none). The body is the registry's word, not JSON
 * until parsed: anything but a JSON object, or a mediaType that is not a string, is a
 * broken or hostile answer (exit 8 naming the reference), never an internal error.
 */
function ownMediaType(bytes: Buffer, reference: string, host: string): string {
  let document: unknown
  try {
    document = JSON.parse(bytes.toString('utf8'))
  } catch {
    document = undefined
  }
  const refuse = (what: string) =>
    new IntegrityError(`manifest ${reference} from ${host} ${what}`, {
      hint: 'the registry is misbehaving or hostile; report it to the registry operator and do not use this artifact',
      details: {registry: host, reference},
    })
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw refuse('is not a JSON object (and came without a Content-Type)')
  const {mediaType} = document as {mediaType?: unknown}
  if (mediaType === undefined || mediaType === '') return MediaType.imageManifest
  if (typeof mediaType !== 'string') throw refuse('has a mediaType that is not a string')
  return mediaType
}

/** A remote registry speaking the OCI distribution API (SPEC §8.3). */
export class RegistryStore implements ContentStore {
  readonly location: Location
  readonly client: RegistryClient
  private readonly host: string

  constructor(options: RegistryClientOptions) {
    this.host = options.host
    this.location = {kind: 'remote', host: options.host}
    this.client = new RegistryClient(options)
  }

  private ready?: Promise<void>

  /** Pings `/v2/` once, before the first request of this store. */
  private async request(request: RegistryRequest, what: string): Promise<RegistryResponse> {
    this.ready ??= this.client.ping()
    await this.ready
    return this.client.send(request, what)
  }

  /**
   * Starts the ping now (e.g. while packaging), so the first request does not wait for it;
   * a failure surfaces on that first request, as without the warm-up.
   */
  warmUp(): void {
    this.ready ??= this.client.ping()
    this.ready.catch(() => undefined)
  }

  async resolve(repository: string, reference: string): Promise<Descriptor> {
    const res = await this.request(
      {method: 'HEAD', path: `/v2/${repository}/manifests/${reference}`, headers: {accept: MANIFEST_ACCEPT}, scopes: [scope.pull(repository)]},
      `resolve ${repository}:${reference}`,
    )
    const digest = responseHeader(res, 'docker-content-digest')
    const mediaType = responseHeader(res, 'content-type')?.split(';')[0]
    const size = Number(responseHeader(res, 'content-length'))
    // Some registries omit the digest on HEAD; a GET gives the bytes to hash instead.
    if (!digest || !mediaType || !Number.isFinite(size)) return (await this.fetchManifest(repository, reference)).descriptor
    assertDocumentSize({digest, size}, `manifest ${repository}:${reference}`)
    if (isDigest(reference) && digest !== reference) {
      throw new IntegrityError(`the registry answered ${digest} for ${repository}@${reference}`, {
        hint: 'the registry is misbehaving; do not trust this artifact',
        details: {expected: reference, actual: digest},
      })
    }
    return {mediaType, digest, size}
  }

  async fetchManifest(repository: string, reference: string): Promise<ManifestContent> {
    const res = await this.request(
      {
        method: 'GET',
        path: `/v2/${repository}/manifests/${reference}`,
        headers: {accept: MANIFEST_ACCEPT},
        scopes: [scope.pull(repository)],
        maxBytes: MAX_DOCUMENT_BYTES,
      },
      `fetch manifest ${repository}:${reference}`,
    )
    const bytes = res.body
    const declared = responseHeader(res, 'docker-content-digest')
    const expected = isDigest(reference) ? reference : (declared ?? sha256(bytes))
    verifyContent(bytes, {digest: expected}, `manifest ${repository}:${reference}`)
    const mediaType = responseHeader(res, 'content-type')?.split(';')[0] || ownMediaType(bytes, `${repository}:${reference}`, this.host)
    return {descriptor: {mediaType, digest: expected, size: bytes.byteLength}, bytes}
  }

  async hasManifest(repository: string, digest: string): Promise<boolean> {
    const res = await this.request(
      {method: 'HEAD', path: `/v2/${repository}/manifests/${digest}`, headers: {accept: MANIFEST_ACCEPT}, scopes: [scope.pull(repository)], accept: [404]},
      `check manifest ${digest}`,
    )
    return res.status === 200
  }

  async pushManifest(repository: string, manifest: ManifestContent, tag?: string): Promise<void> {
    const reference = tag ?? manifest.descriptor.digest
    const res = await this.request(
      {
        method: 'PUT',
        path: `/v2/${repository}/manifests/${reference}`,
        headers: {'content-type': manifest.descriptor.mediaType},
        body: manifest.bytes,
        scopes: [scope.push(repository)],
      },
      `push manifest ${repository}:${reference}`,
    )
    const stored = responseHeader(res, 'docker-content-digest')
    if (stored && stored !== manifest.descriptor.digest) {
      throw new RegistryError(`the registry stored manifest ${repository}:${reference} as ${stored}, not ${manifest.descriptor.digest}`, {
        hint: 'the registry rewrote the manifest; it may not support OCI artifacts',
        details: {expected: manifest.descriptor.digest, stored},
      })
    }
    const referrer = referrerOf(manifest)
    if (!referrer) return
    // OCI-Subject: the registry indexed the subject itself (it has the referrers API).
    if (responseHeader(res, 'oci-subject')) {
      this.referrersApi = true
      return
    }
    await this.addToReferrersTag(repository, referrer.subject, referrer.descriptor)
  }

  /**
   * Whether the registry answers the referrers API: learnt from the first listing (or a push
   * answered with OCI-Subject), then the same for every later call of this store.
   */
  private referrersApi?: boolean

  /**
   * The referrers tag schema: the index under `sha256-<hex>` gets the referrer, unless it
   * lists it already. Read, add, write is not atomic and distribution 2.8 has no If-Match on
   * manifests, so two signers of one subject racing can each write an index without the
   * other's entry; the spec accepts that. Reading back after the write narrows the window:
   * when our entry is missing (the other writer came last) it is added once more.
   */
  private async addToReferrersTag(repository: string, subject: string, referrer: Descriptor): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const {index, changed} = withReferrer(await this.readReferrersTag(repository, subject), referrer)
      if (!changed) return
      await this.writeReferrersTag(repository, subject, index)
      const after = await this.readReferrersTag(repository, subject)
      if (after.manifests.some((m) => m.digest === referrer.digest)) return
    }
  }

  /** Pushes `index` as the subject's `sha256-<hex>` tag (the one writer of that tag: adding and removing referrers). */
  private async writeReferrersTag(repository: string, subject: string, index: ImageIndex): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(index))
    await this.pushManifest(
      repository,
      {descriptor: {mediaType: MediaType.imageIndex, digest: sha256(bytes), size: bytes.byteLength}, bytes},
      referrersTag(subject),
    )
  }

  /** The index under the subject's `sha256-<hex>` tag, checked like any registry answer; none is an empty one. */
  private async readReferrersTag(repository: string, subject: string): Promise<ImageIndex> {
    return (await this.fetchReferrersTag(repository, subject))?.index ?? emptyReferrersIndex()
  }

  /** The index under the subject's `sha256-<hex>` tag and its digest, checked like any registry answer; undefined when there is none. */
  private async fetchReferrersTag(repository: string, subject: string): Promise<{index: ImageIndex; digest: string} | undefined> {
    const tag = referrersTag(subject)
    const found = await this.fetchManifest(repository, tag).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined
      throw error
    })
    if (!found) return undefined
    return {index: parseReferrersIndex(found.bytes, `${this.host}/${repository}:${tag}`, found.descriptor.mediaType), digest: found.descriptor.digest}
  }

  /**
   * The referrers API (`GET /v2/<name>/referrers/<digest>`) when the registry has it, else
   * the referrers tag schema. A 404 or 405, or an answer that is not an image index, means
   * no API (distribution 2.8 answers 404): remembered, so later calls go straight to the tag.
   */
  async listReferrers(repository: string, subjectDigest: string, artifactType?: string): Promise<Descriptor[]> {
    const where = `${this.host}/${repository}@${subjectDigest}`
    digestHex(subjectDigest)
    if (this.referrersApi !== false) {
      const listed = await this.referrersFromApi(repository, subjectDigest, artifactType, where)
      // With OCI-Filters-Applied: artifactType the registry filtered already and this is a
      // no-op; without it the filter is ours, as the spec asks. Either way nothing of
      // another type gets through on the registry's word.
      if (listed) return ofArtifactType(listed, artifactType)
    }
    return ofArtifactType((await this.readReferrersTag(repository, subjectDigest)).manifests, artifactType)
  }

  /**
   * Every page of the referrers API's answer: a registry may page it with `Link` headers like
   * a tag list (pages() bounds and checks them), and a signature on page 2 counts as much as
   * one on page 1. Undefined when the first answer says there is no API.
   */
  private async referrersFromApi(
    repository: string,
    subjectDigest: string,
    artifactType: string | undefined,
    where: string,
  ): Promise<Descriptor[] | undefined> {
    const query = artifactType === undefined ? '' : `?${new URLSearchParams({artifactType}).toString()}`
    const what = `list referrers of ${where}`
    const request = {headers: {accept: MediaType.imageIndex}, scopes: [scope.pull(repository)], accept: [404, 405]}
    const referrers: Descriptor[] = []
    let page = 0
    for await (const res of this.pages(`/v2/${repository}/referrers/${subjectDigest}${query}`, request, what)) {
      page++
      const mediaType = responseHeader(res, 'content-type')?.split(';')[0]
      const listing = res.status === 200 && mediaType === MediaType.imageIndex
      if (page === 1 && !listing) {
        this.referrersApi = false
        return undefined
      }
      this.referrersApi = true
      if (!listing) {
        const answered = res.status === 200 ? `a ${mediaType ?? 'document without Content-Type'}` : `HTTP ${res.status}`
        throw this.listingProblem(what, `its page ${page} is ${answered}, not a referrers index`, {page, status: res.status})
      }
      const pageWhere = `${where} (referrers API${page > 1 ? `, page ${page}` : ''})`
      const entries = parseReferrersIndex(res.body, pageWhere, mediaType).manifests
      // A page that adds nothing yet links on would spend the page cap on empty answers.
      if (entries.length === 0 && nextPageTarget(res) !== undefined)
        throw this.listingProblem(what, `its page ${page} lists no referrers but links to another page`, {page})
      referrers.push(...entries)
      if (referrers.length > MAX_REFERRERS) throw tooManyReferrers(pageWhere, referrers.length)
    }
    return referrers
  }

  async hasBlob(repository: string, descriptor: Descriptor): Promise<boolean> {
    const res = await this.request(
      {method: 'HEAD', path: `/v2/${repository}/blobs/${descriptor.digest}`, scopes: [scope.pull(repository)], accept: [404]},
      `check blob ${descriptor.digest}`,
    )
    return res.status === 200
  }

  async fetchBlob(repository: string, descriptor: Descriptor): Promise<Buffer> {
    const res = await this.request(
      {method: 'GET', path: `/v2/${repository}/blobs/${descriptor.digest}`, scopes: [scope.pull(repository)], maxBytes: blobCap(descriptor, repository)},
      `fetch blob ${descriptor.digest}`,
    )
    verifyContent(res.body, descriptor, `blob ${descriptor.digest} of ${repository}`)
    return res.body
  }

  openBlob(repository: string, descriptor: Descriptor): Promise<BlobBody> {
    return this.fetchBlob(repository, descriptor)
  }

  /** Never held in memory; retried with a fresh attempt from `open` (see ContentStore). */
  async fetchBlobStreaming<T>(repository: string, descriptor: Descriptor, open: () => Promise<StreamedBlobAttempt<T>>): Promise<T> {
    this.ready ??= this.client.ping()
    await this.ready
    const what = `fetch blob ${descriptor.digest}`
    const maxBytes = blobCap(descriptor, repository)
    return this.client.withRetries(what, async () => {
      const attempt = await open()
      try {
        await this.client.sendOnce(
          {method: 'GET', path: `/v2/${repository}/blobs/${descriptor.digest}`, scopes: [scope.pull(repository)], sink: attempt, maxBytes},
          what,
        )
        return await attempt.finish()
      } catch (error) {
        await attempt.abort()
        throw error
      }
    })
  }

  /**
   * POST then PUT (monolithic upload); the pair is retried as one operation. A file body
   * streams from disk to the socket, hashed on the way (the registry checks the digest
   * parameter too, and refuses the upload on a mismatch).
   */
  async pushBlob(repository: string, descriptor: Descriptor, data: BlobBody): Promise<void> {
    const what = `blob ${descriptor.digest}`
    const streamed = isBlobFile(data) ? verifyingStream(data, descriptor, what) : undefined
    if (!streamed) verifyContent(data as Buffer, descriptor, what)
    this.ready ??= this.client.ping()
    await this.ready
    await this.client.withRetries(`upload blob ${descriptor.digest} to ${repository}`, async () => {
      const start = await this.client.sendOnce(
        {method: 'POST', path: `/v2/${repository}/blobs/uploads/`, scopes: [scope.push(repository)], accept: [201]},
        `start upload to ${repository}`,
      )
      if (start.status === 201) return // the registry already had it (some answer a POST with 201)
      const location = responseHeader(start, 'location')
      if (!location)
        throw new RegistryError(`the registry started an upload to ${repository} without a Location header`, {hint: 'the registry is not OCI-compliant'})
      const url = new URL(location, start.url)
      url.searchParams.set('digest', descriptor.digest)
      try {
        await this.client.sendOnce(
          {
            method: 'PUT',
            path: url.toString(),
            headers: {'content-type': 'application/octet-stream'},
            body: streamed?.stream ?? (data as Buffer),
            scopes: [scope.push(repository)],
          },
          `upload blob ${descriptor.digest}`,
        )
      } catch (error) {
        // A refused upload of damaged content is an integrity failure, not a registry one.
        if (streamed?.sent()) streamed.verify()
        throw error
      }
      streamed?.verify()
    })
  }

  async mountBlob(repository: string, descriptor: Descriptor, fromRepository: string): Promise<boolean> {
    const query = new URLSearchParams({mount: descriptor.digest, from: fromRepository})
    const res = await this.request(
      {
        method: 'POST',
        path: `/v2/${repository}/blobs/uploads/?${query.toString()}`,
        scopes: [scope.push(repository), scope.pull(fromRepository)],
        accept: [201, 202],
      },
      `mount blob ${descriptor.digest} from ${fromRepository}`,
    )
    // 202 means the registry opened an upload instead of mounting; it is simply abandoned.
    return res.status === 201
  }

  /**
   * The pages of a listing, following `Link: <…>; rel="next"` (tag lists, `_catalog`, the
   * referrers API). The registry writes those headers, so each target must stay on the
   * registry's origin, is read once (a page leading back to one already read is a loop, not
   * more entries), and there are at most MAX_PAGES pages of at most MAX_PAGE_BYTES,
   * MAX_LISTING_BYTES in all. The next page is asked for only when the caller reads on.
   */
  private async *pages(firstPath: string, request: Pick<RegistryRequest, 'scopes' | 'headers' | 'accept'>, what: string): AsyncGenerator<RegistryResponse> {
    const visited = new Set<string>()
    const origin = new URL(this.client.base).origin
    let total = 0
    let next: string | undefined = new URL(firstPath, this.client.base).toString()
    while (next) {
      if (visited.has(next)) throw this.listingProblem(what, `its Link header leads back to ${next}, a page already read (a pagination loop)`, {loop: next})
      if (visited.size >= MAX_PAGES) throw this.listingProblem(what, `it has more than ${MAX_PAGES} pages`, {pages: visited.size})
      visited.add(next)
      const res = await this.request({...request, method: 'GET', path: next, maxBytes: MAX_PAGE_BYTES}, what)
      total += res.body.byteLength
      if (total > MAX_LISTING_BYTES) throw this.listingProblem(what, `its pages hold more than ${MAX_LISTING_BYTES} bytes`, {bytes: total})
      yield res
      const target = nextPageTarget(res)
      next = target === undefined ? undefined : new URL(target, res.url).toString()
      if (next && new URL(next).origin !== origin)
        throw this.listingProblem(what, `its Link header points to another origin (${new URL(next).origin})`, {link: next})
    }
  }

  /** Every name of a paginated tag list or `_catalog`. */
  private async paginate(firstPath: string, scopes: string[], what: string, key: 'tags' | 'repositories'): Promise<string[]> {
    const items: string[] = []
    for await (const res of this.pages(firstPath, {scopes}, what)) items.push(...pageItems(res.body, key, what))
    return items
  }

  private listingProblem(what: string, problem: string, details: Record<string, unknown>): RegistryError {
    const host = this.location.kind === 'remote' ? this.location.host : ''
    return new RegistryError(`${what}: ${host} answered a listing that cannot be followed: ${problem}`, {
      hint: 'the registry is misbehaving (its pagination is broken or hostile); report it to the registry operator',
      details: {registry: host, ...details},
    })
  }

  async listTags(repository: string): Promise<string[]> {
    return this.paginate(`/v2/${repository}/tags/list?n=${PAGE_SIZE}`, [scope.pull(repository)], `list tags of ${repository}`, 'tags')
  }

  async listRepositories(): Promise<string[]> {
    try {
      return await this.paginate(`/v2/_catalog?n=${PAGE_SIZE}`, [scope.catalog()], 'list repositories (_catalog)', 'repositories')
    } catch (error) {
      if (error instanceof NotFoundError || (error instanceof RegistryError && [404, 405].includes(Number(error.details.status)))) {
        throw new RegistryError(
          `${this.location.kind === 'remote' ? this.location.host : ''} does not offer the _catalog API, so its repositories cannot be listed`,
          {
            hint: 'name the extension directly ("provisioning oci tags NAME"), or use a registry with _catalog enabled',
            details: {registry: this.location},
          },
        )
      }
      throw error
    }
  }

  /**
   * DELETE by digest. Without the referrers API, a referrer must also leave its subject's
   * `sha256-<hex>` index (distribution spec "Deleting Manifests"), else that index lists a
   * manifest that is gone and copying the subject fails on it: so the manifest is read first
   * for its subject, and that index before anything is deleted (a hostile one refuses the
   * delete, exit 8, with nothing changed).
   */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    const subject = this.referrersApi === true ? undefined : await this.subjectOf(repository, digest)
    const listing = subject === undefined ? undefined : await this.fetchReferrersTag(repository, subject)
    await this.deleteByDigest(repository, digest)
    if (subject === undefined || !listing?.index.manifests.some((m) => m.digest === digest)) return
    const rest = listing.index.manifests.filter((m) => m.digest !== digest)
    if (rest.length === 0) return this.deleteByDigest(repository, listing.digest, {missingOk: true})
    await this.writeReferrersTag(repository, subject, {...listing.index, manifests: rest})
  }

  /**
   * Deletes the referrers of `subjectDigest` (depth first: an attestation of a signature goes
   * before the signature), then its `sha256-<hex>` index. A listed manifest is fetched and
   * deleted only if it names the subject: a tag index anyone with push rights can write must
   * not make a delete remove another version.
   */
  async deleteReferrers(repository: string, subjectDigest: string): Promise<string[]> {
    const deleted: string[] = []
    await this.deleteReferrersOf(repository, subjectDigest, 0, new Set(), deleted)
    return deleted
  }

  private async deleteReferrersOf(repository: string, subject: string, depth: number, seen: Set<string>, deleted: string[]): Promise<void> {
    const where = `${this.host}/${repository}@${subject}`
    /** Listed entries that no longer exist: deleted now, or missing already. */
    const gone = new Set<string>()
    for (const descriptor of await this.listReferrers(repository, subject)) {
      if (seen.has(descriptor.digest)) {
        if (deleted.includes(descriptor.digest)) gone.add(descriptor.digest)
        continue
      }
      seen.add(descriptor.digest)
      if (seen.size > MAX_REFERRER_CLOSURE) throw tooManyReferrers(`${where} and its referrers`, seen.size, MAX_REFERRER_CLOSURE)
      assertDocumentSize(descriptor, `${where}: referrer ${descriptor.digest}`)
      const manifest = await this.fetchManifest(repository, descriptor.digest).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined
        throw error
      })
      if (manifest && referrerOf(manifest)?.subject !== subject) continue
      if (manifest) {
        if (depth >= MAX_REFERRER_DEPTH) {
          throw new IntegrityError(`${where}: referrers nest more than ${MAX_REFERRER_DEPTH} levels deep; refused`, {
            hint: 'the registry is misbehaving or hostile; the manifest was not deleted (its referrers only up to this level)',
            details: {subject, limit: MAX_REFERRER_DEPTH},
          })
        }
        await this.deleteReferrersOf(repository, descriptor.digest, depth + 1, seen, deleted)
        await this.deleteByDigest(repository, descriptor.digest, {missingOk: true})
        deleted.push(descriptor.digest)
      }
      gone.add(descriptor.digest)
    }
    if (this.referrersApi === false) await this.dropReferrersTag(repository, subject, gone)
  }

  /**
   * Deletes the subject's `sha256-<hex>` index. Only by digest (distribution 2.8 deletes no
   * tag), which removes every tag on that digest: so only an index listing nothing but
   * manifests that are gone now, which no other subject's index or version can be.
   */
  private async dropReferrersTag(repository: string, subject: string, gone: Set<string>): Promise<void> {
    const listing = await this.fetchReferrersTag(repository, subject)
    if (listing && listing.index.manifests.every((m) => gone.has(m.digest))) await this.deleteByDigest(repository, listing.digest, {missingOk: true})
  }

  /** The subject a manifest refers to; undefined for a plain manifest (and a missing one: the DELETE then says so). */
  private async subjectOf(repository: string, digest: string): Promise<string | undefined> {
    const manifest = await this.fetchManifest(repository, digest).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined
      throw error
    })
    return manifest && referrerOf(manifest)?.subject
  }

  private async deleteByDigest(repository: string, digest: string, options: {missingOk?: boolean} = {}): Promise<void> {
    await this.request(
      {
        method: 'DELETE',
        path: `/v2/${repository}/manifests/${digest}`,
        scopes: [scope.delete(repository), scope.push(repository)],
        accept: options.missingOk ? [202, 404] : [202],
      },
      `delete ${repository}@${digest}`,
    )
  }

  close(): Promise<void> {
    return this.client.close()
  }
}

/** The most bytes a blob GET may return: its declared size (a lying body fails at byte size + 1). */
function blobCap(descriptor: Descriptor, repository: string): number {
  if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) {
    throw new IntegrityError(
      `blob ${descriptor.digest} of ${repository}: the manifest gives it the size ${String(descriptor.size)}, which is not a byte count`,
      {
        hint: 'the artifact is malformed or hostile; nothing was downloaded',
        details: {digest: descriptor.digest, size: descriptor.size},
      },
    )
  }
  return descriptor.size
}

function pageItems(body: Buffer, key: 'tags' | 'repositories', what: string): string[] {
  let data: unknown
  try {
    data = JSON.parse(body.toString('utf8') || '{}')
  } catch {
    throw new RegistryError(`${what}: the registry answered a page that is not JSON`, {hint: 'the registry is misbehaving; report it to the registry operator'})
  }
  const list = (data as Record<string, unknown> | null)?.[key]
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : []
}

/** The target of a listing page's `Link: <…>; rel="next"` header, as the registry wrote it. */
function nextPageTarget(res: RegistryResponse): string | undefined {
  const link = responseHeader(res, 'link')
  return link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined
}
