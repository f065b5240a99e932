import {UsageError, ValidationError} from '../../errors.js'
import type {OciStores} from '../stores.js'
import {type Reference, withTag} from '../reference.js'

/** What the command line says about where a folder goes; anything left out comes from manifest.yaml. */
export interface PushTarget {
  dir: string
  /**
   * The extension name (must match manifest.yaml), or a reference: `oci://host/ns/name:1.0.0`,
   * `host:5000/ns/name:1.0.0`, `oci://host/ns` (helm style: name and version from the
   * manifest) or `oci-layout://PATH[:tag]` (the layout folder itself).
   */
  name?: string
  /** Tag (default: the reference's tag, else the manifest version). */
  version?: string
}

/** An extension name never holds these; a reference always holds one of them. */
const isReferenceLike = (value: string) => /[/:@]/.test(value)

/**
 * A full reference names its own registry and namespace: --registry/--namespace beside it
 * would be ignored, so the combination is refused instead of pushing somewhere unexpected.
 */
export function assertTargetWithoutLocationFlags(target: PushTarget, flags: {registry?: string; namespace?: string}): void {
  if (target.name === undefined || !isReferenceLike(target.name)) return
  const given = [flags.registry === undefined ? '' : '--registry', flags.namespace === undefined ? '' : '--namespace'].filter(Boolean)
  if (given.length === 0) return
  throw new UsageError(`${target.name} names its own registry and namespace; ${given.join(' and ')} cannot be combined with it`, {
    hint: `leave out ${given.join(' and ')}, or push by name: oci push DIR ${given.map((flag) => `${flag} VALUE`).join(' ')}`,
    details: {target: target.name, flags: given},
  })
}

/**
 * The reference a folder is pushed to. Name and version may be left out (they come from
 * manifest.yaml) but never contradict it: resolution rejects artifacts whose manifest
 * disagrees with their reference, so such a push is refused before anything is sent.
 */
export function pushReference(oci: OciStores, target: PushTarget, manifest: {name: string; version: string}): Reference {
  if (target.name === undefined || !isReferenceLike(target.name)) {
    const name = target.name ?? manifest.name
    const version = target.version ?? manifest.version
    assertMatches(manifest, name, version)
    return withTag(oci.parse(name), version)
  }
  const parsed = oci.parse(target.name)
  if (parsed.digest) {
    throw new UsageError(`cannot push to ${target.name}: a digest is what the registry computes, not a place to push to`, {
      hint: 'give a tag (name:1.0.0) or leave it out to use the manifest version',
    })
  }
  if (parsed.tag && target.version !== undefined && parsed.tag !== target.version) {
    throw new UsageError(`${target.name} already names tag ${parsed.tag}; VERSION ${target.version} contradicts it`, {
      hint: 'give the version once: in the reference or as VERSION',
    })
  }
  const version = parsed.tag ?? target.version ?? manifest.version
  if (parsed.location.kind === 'layout' && parsed.repository === '') {
    // oci-layout://PATH names the layout folder itself: the user named it, only the tag is checked.
    assertMatches(manifest, manifest.name, version)
    return withTag(parsed, version)
  }
  const last = parsed.repository.split('/').pop()
  // helm push x.tgz oci://host/ns: without a tag, a repository not ending in the name is a namespace.
  const repository = !parsed.tag && last !== manifest.name ? `${parsed.repository}/${manifest.name}` : parsed.repository
  assertMatches(manifest, repository.split('/').pop() ?? '', version)
  return withTag({...parsed, repository}, version)
}

function assertMatches(manifest: {name: string; version: string}, name: string, version: string): void {
  if (name === manifest.name && version.replace(/^v/, '') === manifest.version) return
  const what = [
    name === manifest.name ? '' : `name ${name} is not ${manifest.name}`,
    version.replace(/^v/, '') === manifest.version ? '' : `version ${version} is not ${manifest.version}`,
  ]
    .filter(Boolean)
    .join(', ')
  throw new ValidationError(
    `refusing to push ${manifest.name}@${manifest.version} as ${name}:${version} (${what} in manifest.yaml): the reference must match manifest.yaml`,
    {
      hint: 'edit name/version in manifest.yaml instead, or leave them out of the reference; resolution rejects artifacts whose manifest disagrees with their reference',
      details: {manifest: {name: manifest.name, version: manifest.version}, requested: {name, version}},
    },
  )
}
