import pLimit from 'p-limit'

import {NotFoundError, RegistryError} from '../errors.js'
import {extractArchive} from '../extension/extract.js'
import {extensionLayer, readArtifact} from '../oci/artifact-reader.js'
import type {OciContext} from '../oci/context.js'
import type {Installer} from './install.js'
import type {PlannedExtension} from './plan.js'

/** Layers come through the blob cache (verified, fetched in parallel); local sources are packaged. */
export function ociInstaller(oci: OciContext, concurrency: number, offline: boolean): Installer {
  const layerOf = async (extension: PlannedExtension): Promise<Buffer> => {
    if (extension.origin.kind === 'local') {
      const {packageExtension} = await import('../extension/package.js')
      return (await packageExtension(extension.origin.dir)).data
    }
    // The manifest is pinned by digest: from the blob cache when there, so a locked, warm
    // install asks the registry nothing.
    const known = await oci.cache.get({digest: extension.digest})
    if (!known && offline) {
      throw new RegistryError(`the manifest of ${extension.name}@${extension.version} (${extension.digest}) is not in the cache, and --offline forbids fetching it`, {
        hint: 'run once without --offline to fill the cache',
        details: {name: extension.name, digest: extension.digest},
      })
    }
    const artifact = known
      ? await readArtifact(oci, extension.origin.reference, {descriptor: {mediaType: '', digest: extension.digest, size: known.byteLength}, bytes: known})
      : await readArtifact(oci, extension.origin.reference).catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error
        throw new NotFoundError(`${extension.name}@${extension.version}: ${extension.reference} no longer has the pinned content ${extension.digest} (${error.message})`, {
          hint: `the artifact was deleted or re-pushed; run "provisioning dep update ${extension.name}" to resolve it again, or restore it in the registry`,
          details: {name: extension.name, reference: extension.reference, digest: extension.digest},
        })
      })
    if (!known) await oci.cache.put(artifact.manifest.descriptor, artifact.manifest.bytes)
    if (artifact.manifest.descriptor.digest !== extension.digest) {
      const {IntegrityError} = await import('../errors.js')
      throw new IntegrityError(`${extension.reference} is now ${artifact.manifest.descriptor.digest}, but the lock pins ${extension.digest}`, {
        hint: 'the tag was re-pushed with other content; run "provisioning dep update NAME" to accept the new content',
      })
    }
    const layer = extensionLayer(artifact)
    return (await oci.cache.through(layer, () => {
      if (offline) throw new RegistryError(`the content of ${extension.name}@${extension.version} is not in the cache, and --offline forbids fetching it`, {hint: 'run once without --offline to fill the cache'})
      return artifact.store.fetchBlob(artifact.ref.repository, layer)
    })).data
  }
  const fetched = new Map<string, Promise<Buffer>>()
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
      await Promise.all(extensions.map((e) => get(e)))
    },
    async install(extension: PlannedExtension, target: string) {
      await extractArchive(await get(extension), target)
      fetched.delete(extension.name)
    },
  }
}
