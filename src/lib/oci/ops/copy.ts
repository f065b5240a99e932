import {updateIndexEntry} from '../catalog-index.js'
import {copyArtifact, type CopyListeners} from '../copy.js'
import {orasCopyArgs, runOras} from '../oras-engine.js'
import {formatReference} from '../reference.js'
import {withDefaultTag} from '../artifact-reader.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface CopyCommandResult {
  source: string
  destination: string
  digest: string
  engine: string
  blobs?: number
  transferred?: number
  skipped?: number
  mounted?: number
}

/** `oci copy SRC DST`: any store to any store; mounts within one registry. */
export async function copyReference(options: OciOperationOptions & CopyListeners & {source: string; destination: string}): Promise<CopyCommandResult> {
  return withSession({...options, workspaceSource: 'required'}, async ({settings, engine, oci}) => {
    const source = await withDefaultTag(oci, oci.parse(options.source))
    const parsedDestination = oci.parse(options.destination)
    const destination = parsedDestination.tag || parsedDestination.digest ? parsedDestination : {...parsedDestination, tag: source.tag}
    if (engine.engine === 'oras' && engine.orasPath) {
      await runOras(engine.orasPath, orasCopyArgs(source, destination, settings, settings.concurrency))
      const descriptor = await oci.store(destination.location).resolve(destination.repository, destination.tag ?? destination.digest ?? '')
      await updateIndexEntry(oci, destination.location, destination.repository)
      return {source: formatReference(source), destination: formatReference(destination), digest: descriptor.digest, engine: engine.engine}
    }
    const result = await copyArtifact(
      {store: oci.store(source.location), repository: source.repository, reference: source.digest ?? (source.tag as string)},
      {store: oci.store(destination.location), repository: destination.repository},
      {concurrency: settings.concurrency, tag: destination.tag, onEvent: options.onEvent, onBytes: options.onBytes},
    )
    await updateIndexEntry(oci, destination.location, destination.repository)
    return {source: formatReference(source), destination: formatReference(destination), digest: result.descriptor.digest, engine: engine.engine, blobs: result.blobs, transferred: result.transferred, skipped: result.skipped, mounted: result.mounted}
  })
}
