import type {ExtensionManifest} from '../extension/manifest-schema.js'

/**
 * What a local source folder would publish as: its checked manifest and the (reproducible)
 * manifest digest, the value a lock pins for local sources. A large archive is packaged to
 * a temp file under `spoolDir`, never held in memory.
 */
export async function localArtifact(dir: string, spoolDir: string): Promise<{manifest: ExtensionManifest; digest: string}> {
  const {packageExtensionSpooled} = await import('../extension/package.js')
  const {buildExtensionArtifact} = await import('../oci/artifact.js')
  const pkg = await packageExtensionSpooled(dir, spoolDir)
  try {
    const digest = buildExtensionArtifact({manifest: pkg.manifest, fileName: pkg.fileName, data: pkg.layer.body, digest: pkg.digest}).manifest.descriptor.digest
    return {manifest: pkg.manifest, digest}
  } finally {
    await pkg.layer.dispose()
  }
}
