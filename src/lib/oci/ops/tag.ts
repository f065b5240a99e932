import {UsageError} from '../../errors.js'
import {updateIndexEntry} from '../catalog-index.js'
import {formatReference, TAG_PATTERN, withTag} from '../reference.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface TagResult {
  /** The reference that was tagged, as given (canonical form). */
  source: string
  digest: string
  tags: Array<{tag: string; reference: string; digest: string}>
}

/**
 * `oci tag REF NEWTAG...` (as `oras tag`): the manifest is fetched once (verified) and put
 * under each new tag; blobs are never sent again, since the manifest's blobs are already
 * in the repository. Works on registries and layouts alike (ContentStore).
 */
export async function tagArtifact(options: OciOperationOptions & {reference: string; tags: string[]}): Promise<TagResult> {
  const tags = [...new Set(options.tags)]
  const bad = tags.filter((tag) => !TAG_PATTERN.test(tag))
  if (tags.length === 0 || bad.length > 0) {
    throw new UsageError(tags.length === 0 ? 'oci tag needs at least one new tag' : `invalid tag${bad.length > 1 ? 's' : ''} ${bad.map((t) => JSON.stringify(t)).join(', ')}`, {
      hint: 'a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-" (e.g. stable, latest, 1.2.0)',
      details: {invalid: bad},
    })
  }
  return withSession({...options, workspaceSource: 'required'}, async ({oci}) => {
    const ref = oci.parse(options.reference)
    const current = ref.digest ?? ref.tag
    if (!current) {
      throw new UsageError(`${options.reference} names no tag or digest to tag from`, {hint: 'name the version explicitly: oci tag NAME:VERSION NEWTAG...', details: {reference: options.reference}})
    }
    const store = oci.store(ref.location)
    const manifest = await store.fetchManifest(ref.repository, current)
    const {digest} = manifest.descriptor
    for (const tag of tags) await store.pushManifest(ref.repository, manifest, tag)
    // A new semver tag is a new version in search results, as after a push.
    await updateIndexEntry(oci, ref.location, ref.repository)
    return {
      source: formatReference(ref),
      digest,
      tags: tags.map((tag) => ({tag, reference: formatReference(withTag(ref, tag)), digest})),
    }
  })
}
