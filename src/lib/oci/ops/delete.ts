import {UsageError} from '../../errors.js'
import {updateIndexEntry} from '../../repository/index-sync.js'
import {formatReference} from '../reference.js'
import {assertWritable} from './read-only-guard.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface DeleteResult {
  reference: string
  digest: string
  deleted: boolean
  /** Digests of the referrers (signatures…) deleted with it, when it had any. */
  referrers?: string[]
}

/**
 * `oci delete`: resolves the tag to its digest, deletes the manifest's referrers (and the
 * store's list of them) through the native store whatever the engine, as signing goes
 * through it, then the manifest by digest.
 */
export async function deleteArtifact(options: OciOperationOptions & {reference: string}): Promise<DeleteResult> {
  return withSession({...options, workspaceSource: 'required'}, async ({engine, oci}) => {
    const ref = oci.parse(options.reference)
    if (!ref.tag && !ref.digest) throw new UsageError(`"${options.reference}" names no version`, {hint: 'delete one version at a time: NAME:VERSION'})
    await assertWritable(options.config, ref, 'delete')
    // Resolved first: the tag is deleted through its digest, which the result reports.
    const store = oci.store(ref.location)
    const descriptor = await store.resolve(ref.repository, ref.digest ?? (ref.tag as string))
    // Referrers first: a failure leaves the manifest there to delete again, never referrers of nothing.
    const referrers = await store.deleteReferrers(ref.repository, descriptor.digest)
    await engine.delete(ref, descriptor.digest)
    await updateIndexEntry(oci, ref.location, ref.repository)
    return {reference: formatReference(ref), digest: descriptor.digest, deleted: true, ...(referrers.length > 0 ? {referrers} : {})}
  })
}
