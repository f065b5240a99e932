import path from 'node:path'

import pLimit from 'p-limit'

import {IntegrityError, NotFoundError, RegistryError} from '../errors.js'
import {extensionLayer, readArtifact, type ResolvedArtifact} from '../artifact/artifact-reader.js'
import type {OciStores} from '../oci/stores.js'
import type {FetchedLayer, LayerSource} from '../artifact/install-layer.js'
import type {Reference} from '../oci/reference.js'
import {bodyChunks, isBlobFile} from '../util/blob-body.js'
import type {SpooledBlob} from '../util/blob-spool.js'
import type {Installer} from './install.js'
import {packageLocal} from './local-artifact.js'
import type {LockedExtension} from './lockfile.js'
import type {PlannedExtension} from './plan.js'

/**
 * What prefetch leaves for install: a registry or layout layer fetched (verified) through
 * the blob cache by installLayer's pipeline, or a local extension packaged (a large one to
 * a temp file); install unpacks files in pieces (so a 500 MB extension never costs 500 MB
 * of memory).
 */
type PrefetchedLayer = {source: LayerSource; fetched: FetchedLayer} | {spooled: SpooledBlob}

/** Loaded when a layer is fetched: a run that follows its lock with everything installed never needs it. */
const layerPipeline = () => import('../artifact/install-layer.js')

/** Layers come through the blob cache (verified, fetched in parallel); local sources are packaged. */
export function ociInstaller(oci: OciStores, concurrency: number, offline: boolean): Installer {
  const offlineMissing = (extension: PlannedExtension) =>
    new RegistryError(`the content of ${extension.name}@${extension.version} is not in the cache, and --offline forbids fetching it`, {
      hint: 'run once without --offline to fill the cache',
    })

  const layerOf = async (extension: PlannedExtension): Promise<PrefetchedLayer> => {
    if (extension.origin.kind === 'local') {
      // Packaged like `oci push` does: a large archive goes to a temp file, not to memory.
      // What is installed is what the plan pinned: a folder edited since it was checked (or
      // resolved) is refused here, not installed under the old digest.
      const {digest, layer} = await packageLocal(extension.origin.dir, path.join(oci.cache.dir, 'tmp'))
      if (digest !== extension.digest) {
        await layer.dispose()
        throw new IntegrityError(
          `${extension.name}@${extension.version}: ${extension.origin.dir} changed while dep resolve ran (pinned ${extension.digest}, now ${digest})`,
          {
            hint: 'run "provisioning dep resolve" again once the folder is no longer being edited',
            details: {name: extension.name, dir: extension.origin.dir},
          },
        )
      }
      return {spooled: layer}
    }
    const artifact = await pinnedArtifact(oci, extension, extension.origin.reference, offline)
    const source: LayerSource = {
      store: artifact.store,
      repository: artifact.ref.repository,
      layer: extensionLayer(artifact),
      what: `layer of ${extension.reference}`,
    }
    // Every layer is fetched and verified (a large one into the cache file) before anything
    // is unpacked, so nothing in the workspace changes before every download checked out.
    const {fetchLayer} = await layerPipeline()
    return {source, fetched: await fetchLayer(source, {cacheOnly: offline ? () => offlineMissing(extension) : undefined})}
  }
  const fetched = new Map<string, Promise<PrefetchedLayer>>()
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
      const [{unpackLayer}, {extractArchive, extractFrom}] = await Promise.all([layerPipeline(), import('../extension/extract.js')])
      try {
        if ('source' in layer) await unpackLayer(layer.source, layer.fetched, target)
        else if (!isBlobFile(layer.spooled.body)) await extractArchive(layer.spooled.body, target)
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
        // Refused content leaves no cache entry behind (unpackLayer); the message names the
        // artifact, not only the temp folder it was unpacked into.
        throw new IntegrityError(`${extension.name}@${extension.version} (${extension.reference}): ${error.message}`, {
          hint: error.hint,
          details: {...error.details, extension: extension.name, reference: extension.reference},
          cause: error,
        })
      }
      fetched.delete(extension.name)
    },
  }
}

/**
 * The artifact the lock pins. The manifest is pinned by digest: from the blob cache when
 * there, so a locked, warm install asks the registry nothing.
 */
export async function pinnedArtifact(oci: OciStores, extension: LockedExtension, reference: Reference, offline: boolean): Promise<ResolvedArtifact> {
  const known = await oci.cache.get({digest: extension.digest})
  if (!known && offline) {
    throw new RegistryError(
      `the manifest of ${extension.name}@${extension.version} (${extension.digest}) is not in the cache, and --offline forbids fetching it`,
      {
        hint: 'run once without --offline to fill the cache',
        details: {name: extension.name, digest: extension.digest},
      },
    )
  }
  const artifact = known
    ? await readArtifact(oci, reference, {descriptor: {mediaType: '', digest: extension.digest, size: known.byteLength}, bytes: known})
    : await readArtifact(oci, reference).catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error
        throw new NotFoundError(
          `${extension.name}@${extension.version}: ${extension.reference} no longer has the pinned content ${extension.digest} (${error.message})`,
          {
            hint: `the artifact was deleted or re-pushed; run "provisioning dep update ${extension.name}" to resolve it again, or restore it in the registry`,
            details: {name: extension.name, reference: extension.reference, digest: extension.digest},
          },
        )
      })
  if (!known) await oci.cache.put(artifact.manifest.descriptor, artifact.manifest.bytes)
  if (artifact.manifest.descriptor.digest !== extension.digest) {
    throw new IntegrityError(`${extension.reference} is now ${artifact.manifest.descriptor.digest}, but the lock pins ${extension.digest}`, {
      hint: `the tag was re-pushed with other content; check it, then run "provisioning dep update ${extension.name} --accept-republished" to accept it`,
    })
  }
  return artifact
}
