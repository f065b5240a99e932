import {orasTagsArgs, parseOrasTags, runOras} from '../oras-engine.js'
import {formatLocation, formatReference, withTag} from '../reference.js'
import {sortTags} from '../versions.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface TagsResult {
  name: string
  repository: string
  registry: string
  tags: Array<{tag: string; version?: string; reference: string}>
}

/** `oci tags`: semver tags highest first, then any other tags. */
export async function listVersions(options: OciOperationOptions & {name: string}): Promise<TagsResult> {
  return withSession(options, async ({settings, engine, oci}) => {
    const ref = oci.parse(options.name)
    const tags = engine.engine === 'oras' && engine.orasPath
      ? parseOrasTags(await runOras(engine.orasPath, orasTagsArgs(ref, settings)))
      : await oci.store(ref.location).listTags(ref.repository)
    return {
      name: ref.repository.split('/').pop() ?? ref.repository,
      repository: ref.repository,
      registry: formatLocation(ref.location),
      tags: sortTags(tags).map((t) => ({...t, reference: formatReference(withTag(ref, t.tag))})),
    }
  })
}
