import {NotFoundError, ValidationError} from '../../errors.js'
import type {OciStores} from '../stores.js'
import {formatReference, type Reference, withTag} from '../reference.js'
import {tagVersion} from '../versions.js'

/** A version tag that `--force` moved: where it pointed before and where it points now. */
export interface ReplacedVersion {
  reference: string
  previous: string
  digest: string
}

export interface VersionTagGuard {
  /** The operation, as the refusal names it: `this push is sha256:…`. */
  action: 'push' | 'copy' | 'tag'
  force?: boolean
}

const isVersionTag = (tag: string | undefined) => tag !== undefined && tagVersion(tag) !== undefined

/** `v7.2.5` for `7.2.5` and the other way round. */
const otherSpelling = (tag: string) => (tag.startsWith('v') ? tag.slice(1) : `v${tag}`)

/**
 * The guard for an operation that puts an existing manifest (`source`) under `tags` of
 * `destination` (copy, tag): the source is resolved (one HEAD) only when a version tag is
 * at stake, since other tags move freely.
 */
export async function guardRetag(
  oci: OciStores,
  source: Reference,
  destination: Reference,
  tags: string[],
  guard: VersionTagGuard,
): Promise<ReplacedVersion[]> {
  if (!tags.some(isVersionTag)) return []
  // A source pinned by digest already (the trust gate pins what it verified) needs no request.
  const digest = source.digest ?? (await oci.store(source.location).resolve(source.repository, source.tag as string)).digest
  return guardVersionTags(oci, destination, tags, digest, guard)
}

/**
 * Published versions are immutable (SPEC §8.2): a version tag (semver, `v` prefix accepted)
 * that already holds another manifest is refused (exit 10) before anything is written, unless
 * `force`, which returns what it is about to replace so that the command can audit it. Other
 * tags (`latest`, `stable`) stay movable; the same digest again is a no-op left to the engine.
 *
 * The tag is resolved through the native store whatever the engine, so oras pushes are
 * guarded alike. Registries offer no compare-and-swap on tags: two first pushes of one
 * version at the same moment both find it free and the last write wins. That race is
 * accepted: it needs two publishers of one version at once, which this guard cannot stop.
 */
export async function guardVersionTags(oci: OciStores, ref: Reference, tags: string[], digest: string, guard: VersionTagGuard): Promise<ReplacedVersion[]> {
  const store = oci.store(ref.location)
  const previousOf = (tag: string): Promise<string | undefined> =>
    store.resolve(ref.repository, tag).then(
      (descriptor) => descriptor.digest,
      (error: unknown) => {
        if (error instanceof NotFoundError) return undefined
        throw error
      },
    )
  const conflict = (tag: string, previous: string | undefined): ReplacedVersion[] =>
    previous === undefined || previous === digest ? [] : [{reference: formatReference(withTag(ref, tag)), previous, digest}]
  const versionTags = tags.filter(isVersionTag)
  const previous = await Promise.all(versionTags.map(previousOf))
  const replaced = versionTags.map((tag, i) => conflict(tag, previous[i]))
  // `7.2.5` and `v7.2.5` are one version to every reader (the catalog prefers the bare one), so
  // the other spelling holding other content is the same conflict. Asked only for a version
  // being published for the first time under this spelling (an unchanged push costs no request
  // more); --force moves only the tag named.
  const spellings = versionTags.filter((tag, i) => previous[i] === undefined && !tags.includes(otherSpelling(tag))).map(otherSpelling)
  const siblings = await Promise.all(spellings.map(async (tag) => conflict(tag, await previousOf(tag))))
  if (guard.force) return replaced.flat()
  const conflicts = [...replaced.flat(), ...siblings.flat()]
  if (conflicts.length === 0) return []
  const [first] = conflicts
  const lines = conflicts.map((r) => `${r.reference} already holds ${r.previous}; this ${guard.action} is ${r.digest}`)
  throw new ValidationError(lines.join('\n'), {
    hint:
      guard.action === 'push'
        ? 'a published version is immutable: bump the version in manifest.yaml and push again, or pass --force to replace it (recorded in the audit log)'
        : 'a published version is immutable: use another version tag, or pass --force to replace it (recorded in the audit log)',
    details: {...first, conflicts},
  })
}
