import {UsageError} from '../../errors.js'
import {updateIndexEntry} from '../../repository/index-sync.js'
import {formatReference, TAG_PATTERN, withTag} from '../reference.js'
import {type OciOperationOptions, withSession} from './session.js'
import {guardRetag, type ReplacedVersion} from './version-tag-guard.js'
import {assertWritable} from './read-only-guard.js'

export interface TagResult {
  /** The reference that was tagged, as given (canonical form). */
  source: string
  digest: string
  tags: Array<{tag: string; reference: string; digest: string}>
  /** Version tags `--force` moved away from other content. */
  replaced?: ReplacedVersion[]
}

/**
 * `oci tag REF NEWTAG...` (as `oras tag`): the session's engine puts the manifest under each
 * new tag; blobs are never sent again, since the manifest's blobs are already in the
 * repository. Works on registries and layouts alike. A version tag that holds another
 * artifact is not moved (exit 10) unless `force`.
 */
export async function tagArtifact(options: OciOperationOptions & {reference: string; tags: string[]; force?: boolean}): Promise<TagResult> {
  const tags = [...new Set(options.tags)]
  const bad = tags.filter((tag) => !TAG_PATTERN.test(tag))
  if (tags.length === 0 || bad.length > 0) {
    throw new UsageError(
      tags.length === 0 ? 'oci tag needs at least one new tag' : `invalid tag${bad.length > 1 ? 's' : ''} ${bad.map((t) => JSON.stringify(t)).join(', ')}`,
      {
        hint: 'a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-" (e.g. stable, latest, 1.2.0)',
        details: {invalid: bad},
      },
    )
  }
  return withSession({...options, workspaceSource: 'required'}, async ({engine, oci}) => {
    const ref = oci.parse(options.reference)
    if (!ref.digest && !ref.tag) {
      throw new UsageError(`${options.reference} names no tag or digest to tag from`, {
        hint: 'name the version explicitly: oci tag NAME:VERSION NEWTAG...',
        details: {reference: options.reference},
      })
    }
    await assertWritable(options.config, ref, 'tag')
    const replaced = await guardRetag(oci, ref, ref, tags, {action: 'tag', force: options.force})
    const {digest} = await engine.tag(ref, tags)
    // A new semver tag is a new version in search results, as after a push.
    await updateIndexEntry(oci, ref.location, ref.repository)
    return {
      source: formatReference(ref),
      digest,
      tags: tags.map((tag) => ({tag, reference: formatReference(withTag(ref, tag)), digest})),
      ...(replaced.length > 0 ? {replaced} : {}),
    }
  })
}
