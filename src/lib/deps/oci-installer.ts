import path from 'node:path'

import pLimit from 'p-limit'

import {IntegrityError, NotFoundError, RegistryError} from '../errors.js'
import {extractArchive, extractFrom} from '../extension/extract.js'
import {extensionLayer, readArtifact, type ResolvedArtifact} from '../oci/artifact-reader.js'
import {bodyChunks, isBlobFile} from '../util/blob-body.js'
import type {SpooledBlob} from '../util/blob-spool.js'
import {fillCacheFromFile, fillCacheStreaming, hasIntactBlob} from '../oci/cache-fill.js'
import {extractCachedLayer} from '../oci/cached-layer.js'
import type {OciContext} from '../oci/context.js'
import type {Descriptor} from '../oci/media-types.js'
import type {Reference} from '../oci/reference.js'
import {RegistryStore} from '../oci/registry-store.js'
import {STREAM_LAYER_THRESHOLD_BYTES} from '../oci/stream-threshold.js'
import type {Installer} from './install.js'
import {packageLocal} from './local-artifact.js'
import type {LockedExtension} from './lockfile.js'
import type {PlannedExtension} from './plan.js'

/**
 * What prefetch leaves for install: a small layer in memory (verified), a large one as a
 * verified blob cache file, or a large local extension packaged to a temp file; install
 * unpacks the files in pieces (so a 500 MB extension never costs 500 MB of memory, let
 * alone twice that while a download is assembled).
 */
type FetchedLayer = {data: Buffer; layer?: Descriptor} | {cached: Descriptor; what: string} | {spooled: SpooledBlob}

/** Layers come through the blob cache (verified, fetched in parallel); local sources are packaged. */
export function ociInstaller(oci: OciContext, concurrency: number, offline: boolean): Installer {
  const offlineMissing = (extension: PlannedExtension) =>
    new RegistryError(`the content of ${extension.name}@${extension.version} is not in the cache, and --offline forbids fetching it`, {hint: 'run once without --offline to fill the cache'})

  const layerOf = async (extension: PlannedExtension): Promise<FetchedLayer> => {
    if (extension.origin.kind === 'local') {
      // Packaged like `oci push` does: a large archive goes to a temp file, not to memory.
      // What is installed is what the plan pinned: a folder edited since it was checked (or
      // resolved) is refused here, not installed under the old digest.
      const {digest, layer} = await packageLocal(extension.origin.dir, path.join(oci.cache.dir, 'tmp'))
      if (digest !== extension.digest) {
        await layer.dispose()
        throw new IntegrityError(`${extension.name}@${extension.version}: ${extension.origin.dir} changed while dep resolve ran (pinned ${extension.digest}, now ${digest})`, {
          hint: 'run "provisioning dep resolve" again once the folder is no longer being edited',
          details: {name: extension.name, dir: extension.origin.dir},
        })
      }
      return isBlobFile(layer.body) ? {spooled: layer} : {data: layer.body}
    }
    const artifact = await pinnedArtifact(oci, extension, extension.origin.reference, offline)
    const layer = extensionLayer(artifact)
    // Large layers go through the cache file in pieces, as `oci pull` does: streamed from a
    // registry, copied from a layout's blob file (small layers are cheaper in one piece).
    if (layer.size >= STREAM_LAYER_THRESHOLD_BYTES) {
      const what = `layer of ${extension.reference}`
      if (await hasIntactBlob(oci.cache, layer)) return {cached: layer, what}
      if (offline) throw offlineMissing(extension)
      if (artifact.store instanceof RegistryStore) {
        await fillCacheStreaming(oci.cache, artifact.store, artifact.ref.repository, layer, what)
        return {cached: layer, what}
      }
      const body = await artifact.store.openBlob(artifact.ref.repository, layer)
      if (isBlobFile(body)) {
        await fillCacheFromFile(oci.cache, body.file, layer, what)
        return {cached: layer, what}
      }
    }
    return {
      layer,
      data: (await oci.cache.through(layer, () => {
        if (offline) throw offlineMissing(extension)
        return artifact.store.fetchBlob(artifact.ref.repository, layer)
      })).data,
    }
  }
  const fetched = new Map<string, Promise<FetchedLayer>>()
  const limit = pLimit(Math.max(1, concurrency))
  const get = (e: PlannedExtension) => {
    let pending = fetched.get(e.name)
    if (!pending) {
      pending = limit(() => layerOf(e))
      fetched.set(e.name, pending)
    }
    return pending
  }
  return {
    async prefetch(extensions: PlannedExtension[]) {
      try {
        await Promise.all(extensions.map((e) => get(e)))
      } catch (error) {
        // Nothing will be installed: packaged temp files go as their packaging ends (best
        // effort; `workspace cleanup` removes those of a process that is gone).
        for (const pending of fetched.values()) pending.then((layer) => ('spooled' in layer ? layer.spooled.dispose() : undefined)).catch(() => undefined)
        throw error
      }
    },
    async install(extension: PlannedExtension, target: string) {
      const layer = await get(extension)
      try {
        if ('data' in layer) await extractArchive(layer.data, target)
        else if ('cached' in layer) await extractCachedLayer(oci.cache, layer.cached, target, layer.what)
        else {
          try {
            await extractFrom(target, layer.spooled.size, async (extraction) => {
              for await (const chunk of bodyChunks(layer.spooled.body)) await extraction.write(chunk)
            })
          } finally {
            await layer.spooled.dispose()
          }
        }
      } catch (error) {
        if (!(error instanceof IntegrityError)) throw error
        // Refused content (an unsafe archive, a damaged entry) leaves no cache entry behind,
        // and the message names the artifact, not only the temp folder it was unpacked into.
        const descriptor = 'cached' in layer ? layer.cached : 'data' in layer ? layer.layer : undefined
        if (descriptor) await oci.cache.remove(descriptor).catch(() => undefined)
        throw new IntegrityError(`${extension.name}@${extension.version} (${extension.reference}): ${error.message}`, {hint: error.hint, details: {...error.details, extension: extension.name, reference: extension.reference}, cause: error})
      }
      fetched.delete(extension.name)
    },
  }
}

/**
 * The artifact the lock pins. The manifest is pinned by digest: from the blob cache when
 * there, so a locked, warm install asks the registry nothing.
 */
export async function pinnedArtifact(oci: OciContext, extension: LockedExtension, reference: Reference, offline: boolean): Promise<ResolvedArtifact> {
  const known = await oci.cache.get({digest: extension.digest})
  if (!known && offline) {
    throw new RegistryError(`the manifest of ${extension.name}@${extension.version} (${extension.digest}) is not in the cache, and --offline forbids fetching it`, {
      hint: 'run once without --offline to fill the cache',
      details: {name: extension.name, digest: extension.digest},
    })
  }
  const artifact = known
    ? await readArtifact(oci, reference, {descriptor: {mediaType: '', digest: extension.digest, size: known.byteLength}, bytes: known})
    : await readArtifact(oci, reference).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error
      throw new NotFoundError(`${extension.name}@${extension.version}: ${extension.reference} no longer has the pinned content ${extension.digest} (${error.message})`, {
        hint: `the artifact was deleted or re-pushed; run "provisioning dep update ${extension.name}" to resolve it again, or restore it in the registry`,
        details: {name: extension.name, reference: extension.reference, digest: extension.digest},
      })
    })
  if (!known) await oci.cache.put(artifact.manifest.descriptor, artifact.manifest.bytes)
  if (artifact.manifest.descriptor.digest !== extension.digest) {
    throw new IntegrityError(`${extension.reference} is now ${artifact.manifest.descriptor.digest}, but the lock pins ${extension.digest}`, {
      hint: 'the tag was re-pushed with other content; run "provisioning dep update NAME" to accept the new content',
    })
  }
  return artifact
}
