import {ValidationError} from '../../errors.js'
import {packageExtension} from '../../extension/package.js'
import {assertValidExtension} from '../../extension/validate.js'
import {buildExtensionArtifact} from '../artifact.js'
import {copyArtifact, type CopyEvent, type CopyStats} from '../copy.js'
import {MemoryStore} from '../memory-store.js'
import {orasPush} from '../oras-engine.js'
import {formatReference, withTag} from '../reference.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface PushOptions extends OciOperationOptions {
  dir: string
  /** Repository name (default: manifest name). */
  name?: string
  /** Tag (default: manifest version). */
  version?: string
  dryRun?: boolean
  onEvent?: (event: CopyEvent) => void
}

export interface PushResult extends Partial<CopyStats> {
  name: string
  version: string
  reference: string
  digest: string
  size: number
  engine: string
  dryRun: boolean
}

/** `oci push`: validate, package reproducibly, and copy the artifact to the registry. */
export async function pushExtension(options: PushOptions): Promise<PushResult> {
  const {manifest} = await assertValidExtension(options.dir)
  const name = options.name ?? manifest.name
  const version = options.version ?? manifest.version
  if (name !== manifest.name || version.replace(/^v/, '') !== manifest.version) {
    throw new ValidationError(`refusing to push ${manifest.name}@${manifest.version} as ${name}:${version}: the reference must match manifest.yaml`, {
      hint: 'edit name/version in manifest.yaml instead; resolution rejects artifacts whose manifest disagrees with their reference',
      details: {manifest: {name: manifest.name, version: manifest.version}, requested: {name, version}},
    })
  }
  const pkg = await packageExtension(options.dir)
  const artifact = buildExtensionArtifact({manifest: pkg.manifest, fileName: pkg.fileName, data: pkg.data})

  return withSession(options, async ({settings, engine, oci}) => {
    const ref = withTag(oci.parse(name), version)
    const base = {name, version, reference: formatReference(ref), digest: artifact.manifest.descriptor.digest, size: artifact.manifest.descriptor.size, engine: engine.engine}
    if (options.dryRun) return {...base, dryRun: true}
    if (engine.engine === 'oras' && engine.orasPath) {
      await orasPush(engine.orasPath, ref, artifact, settings)
      return {...base, dryRun: false}
    }
    const source = new MemoryStore()
    source.addBlob(artifact.config.descriptor, artifact.config.data)
    source.addBlob(artifact.layer.descriptor, artifact.layer.data)
    source.addManifest(artifact.manifest, version)
    const stats = await copyArtifact(
      {store: source, repository: ref.repository, reference: version},
      {store: oci.store(ref.location), repository: ref.repository},
      {concurrency: settings.concurrency, tag: version, onEvent: options.onEvent},
    )
    return {...base, blobs: stats.blobs, transferred: stats.transferred, skipped: stats.skipped, mounted: stats.mounted, bytesTransferred: stats.bytesTransferred, dryRun: false}
  })
}
