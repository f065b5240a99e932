import {IntegrityError} from '../errors.js'
import {DEFAULT_ARCHIVE_LIMITS, extractArchive, type ExtractResult} from '../extension/extract.js'
import {type BlobBody, isBlobFile} from '../util/blob-body.js'
import type {BlobCache} from '../oci/blob-cache.js'
import {assertLayerSize, hasIntactBlob, type SizeCap} from '../oci/cache-fill.js'
import {extractCachedLayer} from './cached-layer.js'
import type {CachingStore} from '../oci/caching-store.js'
import {verifyContent} from '../oci/digest.js'
import {LayerPullAttempt, meteredAttempt} from './layer-stream.js'
import type {Descriptor} from '../oci/media-types.js'
import {canStream, type StreamingStore} from '../oci/store.js'
import {STREAM_LAYER_THRESHOLD_BYTES} from '../oci/stream-threshold.js'

/**
 * The one way an extension layer gets from a store into a folder (`oci pull`, `dep
 * resolve`). Small layers are read whole (verified) through the blob cache; large ones
 * (STREAM_LAYER_THRESHOLD_BYTES) go through the cache file in pieces: streamed from a
 * registry, copied from a layout's blob file, then unpacked in pieces, so a 500 MB layer
 * never sits in memory. Refused content (IntegrityError: a digest mismatch, an unsafe
 * archive) leaves no cache entry behind.
 */
export interface LayerSource {
  /** The layer's store, reading through the blob cache. */
  store: CachingStore
  repository: string
  layer: Descriptor
  /** What the layer is, for messages ("layer of REF"). */
  what: string
}

export interface LayerOptions {
  /** --offline: the error when the layer is not in the cache (then nothing is requested). */
  cacheOnly?: () => Error
  /** The largest declared size accepted before any request (default: what an extension may unpack to). */
  cap?: SizeCap | null
  /** Bytes received so far of a large layer streamed from a registry. */
  onBytes?: (received: number) => void
  /** The engine's own fetch of the whole layer (oras) instead of the store's; through the cache still. */
  fetch?: () => Promise<Buffer>
  /**
   * A small layer fetched now is cached only when it is unpacked (`oci pull`: a pull that
   * fails before, on a damaged config say, leaves nothing in the cache).
   */
  cacheWhenUnpacked?: boolean
}

/** A layer ready to unpack: verified bytes in memory, or the verified cache file of a large one. */
export interface FetchedLayer {
  body: BlobBody
  cached: boolean
  /** Verified bytes not in the cache yet (cacheWhenUnpacked): unpacking caches them. */
  toCache?: boolean
}

/** Whether the layer goes through the cache file in pieces rather than whole in memory. */
export function isLargeLayer(layer: Descriptor, options: Pick<LayerOptions, 'fetch'> = {}): boolean {
  return !options.fetch && layer.size >= STREAM_LAYER_THRESHOLD_BYTES
}

/**
 * What an extension layer may weigh before it is downloaded to disk: the extraction cap (a
 * larger archive could never be unpacked) plus what gzip and tar add around stored data. A
 * manifest promising more (100 GB) would otherwise fill the disk before any check.
 */
export const MAX_LAYER_BYTES = Math.ceil(DEFAULT_ARCHIVE_LIMITS.maxBytes * 1.01) + 1024 * 1024
export const EXTENSION_LAYER_CAP: SizeCap = {
  bytes: MAX_LAYER_BYTES,
  exceeded: `more than an extension may unpack to (${DEFAULT_ARCHIVE_LIMITS.maxBytes} bytes)`,
}

const capOf = (options: LayerOptions) => (options.cap === undefined ? EXTENSION_LAYER_CAP : options.cap)

/**
 * A large layer claiming more than an extension may unpack to is refused before any request:
 * it could never be unpacked, and downloading it would fill the disk first.
 */
export function assertLayerFits({layer, what}: Pick<LayerSource, 'layer' | 'what'>, options: LayerOptions = {}): void {
  assertLayerSize(layer, what, capOf(options))
}

/** The layer, verified, ready to unpack (nothing in the target changes). */
export async function fetchLayer({store, repository, layer, what}: LayerSource, options: LayerOptions = {}): Promise<FetchedLayer> {
  const {fetch} = options
  if (options.cacheWhenUnpacked && !isLargeLayer(layer, options)) {
    const hit = await store.cache.get(layer)
    if (hit) return {body: hit, cached: true}
    if (options.cacheOnly) throw options.cacheOnly()
    const data = fetch ? await fetch() : await store.origin.fetchBlob(repository, layer)
    verifyContent(data, layer, what)
    return {body: data, cached: false, toCache: true}
  }
  if (!isLargeLayer(layer)) {
    const {data, cached} = await store.readWhole(repository, layer, options)
    return {body: data, cached}
  }
  // An intact cache entry first, then the offline refusal, then the size cap (checked by the
  // cache fill before any request): as dep resolve has always done.
  return store.readBlob(repository, layer, {cacheOnly: options.cacheOnly, cap: capOf(options), what})
}

/** Unpacks a fetched layer into `target` (atomically, with every check of extractArchive). */
export function unpackLayer(source: LayerSource, fetched: FetchedLayer, target: string): Promise<ExtractResult> {
  return refusedLeavesNothing(source, () => unpack(source, fetched, target))
}

/**
 * Fetches the layer (or takes the one `fetched` early) and unpacks it into `target`. A
 * large layer of a registry that is not cached is downloaded, verified, cached and
 * unpacked in one pass: the cache entry and the target appear only once digest and
 * archive both check out.
 */
export function installLayer(
  source: LayerSource,
  target: string,
  options: LayerOptions & {fetched?: Promise<FetchedLayer>} = {},
): Promise<{extracted: ExtractResult; cached: boolean}> {
  return refusedLeavesNothing(source, async () => {
    const {store, layer} = source
    if (!options.fetched && isLargeLayer(layer, options) && canStream(store)) {
      assertLayerFits(source, options)
      // Hashed first: a damaged entry is removed and fetched again.
      if (await hasIntactBlob(store.cache, layer)) return {extracted: await extractCachedLayer(store.cache, layer, target, source.what), cached: true}
      if (options.cacheOnly) throw options.cacheOnly()
      return {extracted: await streamInOnePass(store, source, target, store.cache, options.onBytes), cached: false}
    }
    const fetched = await (options.fetched ?? fetchLayer(source, options))
    return {extracted: await unpack(source, fetched, target), cached: fetched.cached}
  })
}

async function streamInOnePass(
  store: StreamingStore,
  {repository, layer, what}: LayerSource,
  target: string,
  cache: BlobCache,
  onBytes?: (received: number) => void,
): Promise<ExtractResult> {
  let attempt: LayerPullAttempt | undefined
  const extracted = await store.fetchBlobStreaming(repository, layer, async () => {
    attempt = await LayerPullAttempt.open(layer, what, cache, target)
    return meteredAttempt(attempt, onBytes)
  })
  try {
    await attempt!.publish()
  } catch (error) {
    await attempt!.abort()
    throw error
  }
  return extracted
}

async function unpack({store, layer, what}: LayerSource, {body, toCache}: FetchedLayer, target: string): Promise<ExtractResult> {
  // A large layer's body is its cache file, read in pieces and hashed again as it is read.
  if (isBlobFile(body)) return extractCachedLayer(store.cache, layer, target, what)
  // Verified content: caching it and unpacking it can overlap.
  const caching = toCache ? store.cache.put(layer, body) : Promise.resolve()
  try {
    const [extracted] = await Promise.all([extractArchive(body, target), caching])
    return extracted
  } catch (error) {
    await caching.catch(() => undefined) // settled before the entry may be removed
    throw error
  }
}

/** Verified content that is refused for what it holds (an unsafe archive) is not kept. */
async function refusedLeavesNothing<T>({store, layer}: LayerSource, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof IntegrityError) await store.cache.remove(layer).catch(() => undefined)
    throw error
  }
}
