import {UsageError} from '../../errors.js'
import {updateIndexEntry} from '../../repository/index-sync.js'
import {formatReference} from '../reference.js'
import {assertWritable} from './read-only-guard.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface DeleteResult {
  reference: string
  digest: string
  deleted: boolean
}

/** `oci delete`: resolves the tag to its digest, then deletes the manifest by digest. */
export async function deleteArtifact(options: OciOperationOptions & {reference: string}): Promise<DeleteResult> {
  return withSession({...options, workspaceSource: 'required'}, async ({engine, oci}) => {
    const ref = oci.parse(options.reference)
    if (!ref.tag && !ref.digest) throw new UsageError(`"${options.reference}" names no version`, {hint: 'delete one version at a time: NAME:VERSION'})
    await assertWritable(options.config, ref, 'delete')
    // Resolved first: the tag is deleted through its digest, which the result reports.
    const descriptor = await oci.store(ref.location).resolve(ref.repository, ref.digest ?? (ref.tag as string))
    await engine.delete(ref, descriptor.digest)
    await updateIndexEntry(oci, ref.location, ref.repository)
    return {reference: formatReference(ref), digest: descriptor.digest, deleted: true}
  })
}
