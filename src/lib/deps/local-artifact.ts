import type {ExtensionManifest} from '../extension/manifest-schema.js'
import type {SpooledBlob} from '../util/blob-spool.js'

export interface PackagedLocal {
  manifest: ExtensionManifest
  /** The manifest digest the folder would publish as (reproducible): what a lock pins. */
  digest: string
  /** The packaged layer (a temp file when large); the caller disposes of it. */
  layer: SpooledBlob
}

/**
 * A local source folder packaged as `oci push` would: its checked manifest, its artifact's
 * manifest digest, and the layer. A large archive goes to a temp file under `spoolDir`,
 * never to memory.
 */
export async function packageLocal(dir: string, spoolDir: string): Promise<PackagedLocal> {
  const {packageExtensionSpooled} = await import('../extension/package.js')
  const {buildExtensionArtifact} = await import('../artifact/artifact.js')
  const pkg = await packageExtensionSpooled(dir, spoolDir)
  try {
    const digest = buildExtensionArtifact({manifest: pkg.manifest, fileName: pkg.fileName, data: pkg.layer.body, digest: pkg.digest}).manifest.descriptor.digest
    return {manifest: pkg.manifest, digest, layer: pkg.layer}
  } catch (error) {
    await pkg.layer.dispose()
    throw error
  }
}

/** The manifest and digest only (the lock's digest, the lock check). */
export async function localArtifact(dir: string, spoolDir: string): Promise<{manifest: ExtensionManifest; digest: string}> {
  const {manifest, digest, layer} = await packageLocal(dir, spoolDir)
  await layer.dispose()
  return {manifest, digest}
}
