import {NotFoundError} from '../../errors.js'
import {artifactName, formatLocation, formatReference, withTag} from '../reference.js'
import {isReferrersTag} from '../referrers.js'
import {sortTags} from '../versions.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface TagsResult {
  name: string
  repository: string
  registry: string
  tags: Array<{tag: string; version?: string; reference: string}>
}

/** `oci tags`: semver tags highest first, then any other tags (referrers tags of signed versions are left out). */
export async function listVersions(options: OciOperationOptions & {name: string}): Promise<TagsResult> {
  return withSession({...options, workspaceSource: 'fallback'}, async ({engine, oci}) => {
    const ref = oci.parse(options.name)
    const tags = await engine.listTags(ref).catch((error: unknown) => {
      // The store's generic hint points back at "oci tags"; name what is missing instead.
      if (!(error instanceof NotFoundError)) throw error
      const missing = ref.repository
        ? `no extension ${ref.repository} in ${formatLocation(ref.location)}`
        : `no OCI image layout at ${formatLocation(ref.location)}`
      throw new NotFoundError(missing, {
        hint: ref.repository
          ? '"provisioning oci list" shows the extensions of the namespace, "provisioning oci search TERM" finds one'
          : 'oci-layout://PATH names a folder holding oci-layout and index.json; check the path',
        details: {...error.details, repository: ref.repository},
        cause: error,
      })
    })
    return {
      name: artifactName(ref),
      repository: ref.repository,
      registry: formatLocation(ref.location),
      tags: sortTags(tags.filter((tag) => !isReferrersTag(tag))).map((t) => ({...t, reference: formatReference(withTag(ref, t.tag))})),
    }
  })
}
