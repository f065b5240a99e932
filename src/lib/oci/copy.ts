import pLimit from 'p-limit'

import {bodySize, isBlobFile} from '../util/blob-body.js'
import {IntegrityError} from '../errors.js'
import {assertDocumentSize} from './limits.js'
import {parseManifestDocument} from './manifest-document.js'
import {type Descriptor, isIndex} from './media-types.js'
import type {ContentStore, ManifestContent} from './store.js'

export interface CopyEndpoint {
  store: ContentStore
  repository: string
  /** Tag or digest. */
  reference: string
}

export type CopyEvent =
  | {kind: 'blob'; descriptor: Descriptor; action: 'skipped' | 'mounted' | 'transferred' | 'cached'}
  | {kind: 'manifest'; descriptor: Descriptor; action: 'pushed' | 'unchanged'}

export interface CopyOptions {
  concurrency: number
  /** Tag to set at the destination (default: the source reference when it is a tag). */
  tag?: string
  onEvent?: (event: CopyEvent) => void
  /** Bytes sent so far of a blob that goes out from a file (a large one), per read. */
  onBytes?: (descriptor: Descriptor, sent: number) => void
}

/** What a copy reports while it runs (push and copy pass these through). */
export type CopyListeners = Pick<CopyOptions, 'onEvent' | 'onBytes'>

export interface CopyStats {
  blobs: number
  transferred: number
  skipped: number
  mounted: number
  bytesTransferred: number
}

export interface CopyResult extends CopyStats {
  descriptor: Descriptor
  tag?: string
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
  const stats: CopyStats = {blobs: 0, transferred: 0, skipped: 0, mounted: 0, bytesTransferred: 0}
  const seen = new Set<string>()
  /** Manifests already copied (an index may list one twice). */
  const visited = new Set<string>()

  const copyBlob = async (descriptor: Descriptor): Promise<void> => {
    if (seen.has(descriptor.digest)) return
    seen.add(descriptor.digest)
    stats.blobs++
    if (await destination.store.hasBlob(destination.repository, descriptor)) {
      stats.skipped++
      options.onEvent?.({kind: 'blob', descriptor, action: 'skipped'})
      return
    }
    if (destination.store.mountBlob && sameRegistry(source.store, destination.store) && source.repository !== destination.repository) {
      if (await destination.store.mountBlob(destination.repository, descriptor, source.repository)) {
        stats.mounted++
        options.onEvent?.({kind: 'blob', descriptor, action: 'mounted'})
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
    options.onEvent?.({kind: 'blob', descriptor, action: cached ? 'cached' : 'transferred'})
  }

  const copyManifest = async (manifest: ManifestContent, tag?: string, depth = 0): Promise<void> => {
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
        await copyManifest(await source.store.fetchManifest(source.repository, child.digest), undefined, depth + 1)
      }
    } else {
      const image = parsed.manifest
      await Promise.all([image.config, ...image.layers].map((blob) => limit(() => copyBlob(blob))))
    }
    // A manifest whose blobs had to be sent cannot be there yet: skip the check (one
    // request less per new artifact); otherwise an unchanged tag means nothing to write.
    const sentBlobs = stats.transferred > transferredBefore
    const current = sentBlobs
      ? undefined
      : tag
        ? await destination.store.resolve(destination.repository, tag).catch(() => undefined)
        : (await destination.store.hasManifest(destination.repository, manifest.descriptor.digest))
          ? manifest.descriptor
          : undefined
    if (current?.digest === manifest.descriptor.digest) {
      options.onEvent?.({kind: 'manifest', descriptor: manifest.descriptor, action: 'unchanged'})
      return
    }
    await destination.store.pushManifest(destination.repository, manifest, tag)
    options.onEvent?.({kind: 'manifest', descriptor: manifest.descriptor, action: 'pushed'})
  }

  const root = await source.store.fetchManifest(source.repository, source.reference)
  visited.add(root.descriptor.digest)
  const tag = options.tag ?? (source.reference.startsWith('sha256:') ? undefined : source.reference)
  await copyManifest(root, tag)
  return {...stats, descriptor: root.descriptor, tag}
}
