import {updateIndexEntry} from '../../repository/index-sync.js'
import type {CopyRequest} from '../copy.js'
import {formatReference, type Reference} from '../reference.js'
import type {OciStores} from '../stores.js'
import {withDefaultTag} from '../../artifact/artifact-reader.js'
import {TrustGate} from '../../signing/enforce.js'
import {type OciOperationOptions, withSession} from './session.js'
import {guardRetag, type ReplacedVersion} from './version-tag-guard.js'
import {assertWritable} from './read-only-guard.js'

export interface CopyCommandResult {
  source: string
  destination: string
  digest: string
  engine: string
  blobs?: number
  transferred?: number
  skipped?: number
  mounted?: number
  /** Referrers (signatures…) copied along; absent when the engine does not count them. */
  referrers?: number
  /** The destination version tag `--force` moved away from other content. */
  replaced?: ReplacedVersion
}

/** `oci copy SRC DST`: any store to any store; mounts within one registry; referrers along when asked. */
export async function copyReference(
  options: OciOperationOptions & CopyRequest & {source: string; destination: string; force?: boolean},
): Promise<CopyCommandResult> {
  return withSession({...options, workspaceSource: 'required'}, async ({engine, oci, settings}) => {
    const trust = TrustGate.fromConfig(await options.config(), settings.cacheDir)
    const parsedDestination = oci.parse(options.destination)
    await assertWritable(options.config, parsedDestination, 'copy')
    const source = await trustedSource(oci, trust, await withDefaultTag(oci, oci.parse(options.source)), parsedDestination)
    const destination = parsedDestination.tag || parsedDestination.digest ? parsedDestination : {...parsedDestination, tag: source.tag}
    const [replaced] = await guardRetag(oci, source, destination, destination.tag ? [destination.tag] : [], {action: 'copy', force: options.force})
    const {digest, stats} = await engine.copy(source, destination, options)
    await updateIndexEntry(oci, destination.location, destination.repository)
    const counts = stats
      ? {
          blobs: stats.blobs,
          transferred: stats.transferred,
          skipped: stats.skipped,
          mounted: stats.mounted,
          referrers: options.referrers ? stats.referrers : undefined,
        }
      : {}
    return {source: formatReference(source), destination: formatReference(destination), digest, engine: engine.name, ...counts, ...(replaced ? {replaced} : {})}
  })
}

/**
 * With the trust policy on, the source manifest's signature is checked before the destination
 * is touched, under the source's policy and the destination's (promoting unsigned content into
 * a registry that requires signatures is refused too), and the copy then reads that digest: a
 * tag moved meanwhile cannot slip through.
 */
async function trustedSource(oci: OciStores, trust: TrustGate, source: Reference, destination: Reference): Promise<Reference> {
  if (!trust.active) return source
  const store = oci.store(source.location)
  const manifest = await store.resolve(source.repository, source.digest ?? (source.tag as string))
  const target = {location: source.location, repository: source.repository, reference: formatReference(source)}
  await trust.check(target, store, manifest)
  await trust.check(target, store, manifest, undefined, destination)
  return {...source, digest: manifest.digest}
}
