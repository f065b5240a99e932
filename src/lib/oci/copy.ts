import pLimit from 'p-limit'

import {bodySize, isBlobFile} from '../util/blob-body.js'
import {IntegrityError} from '../errors.js'
import {assertDocumentSize} from './limits.js'
import {parseManifestDocument} from './manifest-document.js'
import {MAX_REFERRER_CLOSURE, MAX_REFERRER_DEPTH, referrerOf} from './referrers.js'
import {type Descriptor, isIndex} from './media-types.js'
import type {ContentStore, ManifestContent} from './store.js'

export interface CopyEndpoint {
  store: ContentStore
  repository: string
  /** Tag or digest. */
  reference: string
}

/** `referrer`: the event belongs to a referrer (a signature…) copied along with the artifact. */
export type CopyEvent =
  | {kind: 'blob'; descriptor: Descriptor; action: 'skipped' | 'mounted' | 'transferred' | 'cached'; referrer?: true}
  | {kind: 'manifest'; descriptor: Descriptor; action: 'pushed' | 'unchanged'; referrer?: true}

export interface CopyOptions {
  concurrency: number
  /** Tag to set at the destination (default: the source reference when it is a tag). */
  tag?: string
  onEvent?: (event: CopyEvent) => void
  /** Bytes sent so far of a blob that goes out from a file (a large one), per read. */
  onBytes?: (descriptor: Descriptor, sent: number) => void
  /**
   * Also copy the OCI 1.1 referrers (signatures, attestations) of every manifest copied,
   * and theirs, when the source store can list them; pushed after what they refer to.
   */
  referrers?: boolean
}

/** What a copy reports while it runs (push and copy pass these through). */
export type CopyListeners = Pick<CopyOptions, 'onEvent' | 'onBytes'>

/** What a copy request passes on beyond listening: whether referrers go along. */
export type CopyRequest = CopyListeners & Pick<CopyOptions, 'referrers'>

export interface CopyStats {
  blobs: number
  transferred: number
  skipped: number
  mounted: number
  bytesTransferred: number
  /** Referrer manifests copied along (CopyOptions.referrers), present ones included. */
  referrers?: number
}

export interface CopyResult extends CopyStats {
  descriptor: Descriptor
  tag?: string
  referrers: number
}

/**
 * How deep indexes may nest: an image index of platform manifests is one level, an index
 * of such indexes two; nothing real goes deeper than this.
 */
export const MAX_INDEX_DEPTH = 4

function sameRegistry(a: ContentStore, b: ContentStore): boolean {
  return a.location.kind === 'remote' && b.location.kind === 'remote' && a.location.host === b.location.host
}

/**
 * Copies an artifact graph (index → manifests → config and layers) between two stores:
 * blobs the destination already holds are never sent again, blobs within one registry
 * are mounted across repositories, the rest move in parallel (bounded); manifests are
 * pushed last, children before their index, so a tag never points at missing content.
 */
export async function copyArtifact(source: CopyEndpoint, destination: Omit<CopyEndpoint, 'reference'>, options: CopyOptions): Promise<CopyResult> {
  const limit = pLimit(Math.max(1, options.concurrency))
  const stats = {blobs: 0, transferred: 0, skipped: 0, mounted: 0, bytesTransferred: 0, referrers: 0}
  const seen = new Set<string>()
  /** Manifests already copied (an index may list one twice). */
  const visited = new Set<string>()
  /** Digests of the manifests copied, in order: the subjects whose referrers follow. */
  const copied: string[] = []

  const copyBlob = async (descriptor: Descriptor, referrer?: true): Promise<void> => {
    if (seen.has(descriptor.digest)) return
    seen.add(descriptor.digest)
    stats.blobs++
    if (await destination.store.hasBlob(destination.repository, descriptor)) {
      stats.skipped++
      options.onEvent?.({kind: 'blob', descriptor, action: 'skipped', referrer})
      return
    }
    if (destination.store.mountBlob && sameRegistry(source.store, destination.store) && source.repository !== destination.repository) {
      if (await destination.store.mountBlob(destination.repository, descriptor, source.repository)) {
        stats.mounted++
        options.onEvent?.({kind: 'blob', descriptor, action: 'mounted', referrer})
        return
      }
    }
    // A store reading through the blob cache (a registry's) hands over a large blob as its
    // verified cache file, streamed into it, and a local store hands over its own file: a
    // hostile or merely huge layer never sits in memory.
    const {body: data, cached} = source.store.readBlob
      ? await source.store.readBlob(source.repository, descriptor)
      : {body: await source.store.openBlob(source.repository, descriptor), cached: false}
    const {onBytes} = options
    const body = onBytes && isBlobFile(data) ? {...data, onRead: (sent: number) => onBytes(descriptor, sent)} : data
    await destination.store.pushBlob(destination.repository, descriptor, body)
    stats.transferred++
    stats.bytesTransferred += bodySize(data)
    options.onEvent?.({kind: 'blob', descriptor, action: cached ? 'cached' : 'transferred', referrer})
  }

  /**
   * `referrer`: the manifest is a referrer being carried along; `listed`: the destination
   * already lists it as one (else it is pushed even when present, so that the destination
   * indexes it: a registry's referrers tag may have lost it to a race).
   */
  const copyManifest = async (manifest: ManifestContent, tag?: string, depth = 0, referrer?: {listed: boolean}): Promise<void> => {
    copied.push(manifest.descriptor.digest)
    const mark = referrer ? (true as const) : undefined
    const transferredBefore = stats.transferred
    const where = `${source.repository}@${manifest.descriptor.digest}`
    const parsed = parseManifestDocument(manifest.bytes, where, isIndex(manifest.descriptor.mediaType))
    if (parsed.kind === 'index') {
      // Children are named by digest (parseManifestDocument refuses anything else), so an
      // index cannot lead back to itself through a tag; the depth bound and the visited set
      // keep a deep or much-repeating graph from multiplying requests.
      if (depth >= MAX_INDEX_DEPTH) {
        throw new IntegrityError(`${where}: indexes nest more than ${MAX_INDEX_DEPTH} levels deep; refused`, {
          hint: 'the artifact is malformed or hostile; nothing was pushed for it',
          details: {digest: manifest.descriptor.digest, limit: MAX_INDEX_DEPTH},
        })
      }
      for (const [i, child] of parsed.index.manifests.entries()) {
        if (visited.has(child.digest)) continue
        visited.add(child.digest)
        assertDocumentSize(child, `${where}: manifests[${i}]`)
        await copyManifest(await source.store.fetchManifest(source.repository, child.digest), undefined, depth + 1, referrer)
      }
    } else {
      const image = parsed.manifest
      await Promise.all([image.config, ...image.layers].map((blob) => limit(() => copyBlob(blob, mark))))
    }
    // A manifest whose blobs had to be sent cannot be there yet: skip the check (one
    // request less per new artifact); otherwise an unchanged tag means nothing to write.
    const sentBlobs = stats.transferred > transferredBefore || referrer?.listed === false
    const current = sentBlobs
      ? undefined
      : tag
        ? await destination.store.resolve(destination.repository, tag).catch(() => undefined)
        : (await destination.store.hasManifest(destination.repository, manifest.descriptor.digest))
          ? manifest.descriptor
          : undefined
    if (current?.digest === manifest.descriptor.digest) {
      options.onEvent?.({kind: 'manifest', descriptor: manifest.descriptor, action: 'unchanged', referrer: mark})
      return
    }
    await destination.store.pushManifest(destination.repository, manifest, tag)
    options.onEvent?.({kind: 'manifest', descriptor: manifest.descriptor, action: 'pushed', referrer: mark})
  }

  /**
   * The referrers of every manifest copied so far, level by level (a referrer's own referrers
   * next), each after its subject. A listed referrer must name that subject: a listing that
   * says otherwise is not followed (exit 8).
   */
  const copyReferrers = async (): Promise<void> => {
    const {listReferrers} = source.store
    if (!options.referrers || !listReferrers) return
    let subjects = copied.slice()
    for (let level = 0; subjects.length > 0; level++) {
      const from = copied.length
      for (const subject of subjects) {
        const found = (await listReferrers.call(source.store, source.repository, subject)).filter((r) => !visited.has(r.digest))
        if (found.length === 0) continue
        if (level >= MAX_REFERRER_DEPTH) throw referrerProblem(source, subject, `referrers nest more than ${MAX_REFERRER_DEPTH} levels deep`)
        const listed = new Set((await destination.store.listReferrers?.(destination.repository, subject))?.map((r) => r.digest))
        for (const descriptor of found) {
          visited.add(descriptor.digest)
          if (stats.referrers >= MAX_REFERRER_CLOSURE) throw referrerProblem(source, subject, `more than ${MAX_REFERRER_CLOSURE} referrers in all`)
          assertDocumentSize(descriptor, `${source.repository}@${subject}: referrer ${descriptor.digest}`)
          const manifest = await source.store.fetchManifest(source.repository, descriptor.digest)
          if (referrerOf(manifest)?.subject !== subject)
            throw referrerProblem(source, subject, `${descriptor.digest} is listed as a referrer but does not name it as its subject`)
          await copyManifest(manifest, undefined, 0, {listed: listed.has(descriptor.digest)})
          stats.referrers++
        }
      }
      subjects = copied.slice(from)
    }
  }

  const root = await source.store.fetchManifest(source.repository, source.reference)
  visited.add(root.descriptor.digest)
  const tag = options.tag ?? (source.reference.startsWith('sha256:') ? undefined : source.reference)
  await copyManifest(root, tag)
  await copyReferrers()
  return {...stats, descriptor: root.descriptor, tag}
}

function referrerProblem(source: CopyEndpoint, subject: string, problem: string): IntegrityError {
  return new IntegrityError(`${source.repository}@${subject}: ${problem}; refused`, {
    hint: 'the source is malformed or hostile; the artifact itself was copied, its referrers only up to this one',
    details: {subject, location: source.store.location},
  })
}
