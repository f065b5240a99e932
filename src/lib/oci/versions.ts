import semver from 'semver'

/** A tag's semver version (a leading `v` is accepted); undefined for non-semver tags. */
export function tagVersion(tag: string): string | undefined {
  return semver.valid(tag.replace(/^v(?=\d)/, '')) ?? undefined
}

export interface SortedTag {
  tag: string
  version?: string
}

/** Semver tags highest first, then the other tags by name. */
export function sortTags(tags: string[]): SortedTag[] {
  const parsed = tags.map((tag) => ({tag, version: tagVersion(tag)}))
  const versioned = parsed.filter((t) => t.version).sort((a, b) => semver.rcompare(a.version as string, b.version as string) || a.tag.localeCompare(b.tag))
  const other = parsed.filter((t) => !t.version).sort((a, b) => a.tag.localeCompare(b.tag))
  return [...versioned, ...other]
}

export interface LatestVersion {
  /** The latest version: the highest stable one, or with `pre` the highest of all. */
  latest?: {tag: string; version: string}
  /** When there is no stable version and `pre` was not asked for: the newest pre-release, for a hint. */
  prereleaseOnly?: {tag: string; version: string}
}

/**
 * What "latest" means everywhere (SPEC §8.2): the highest stable semver tag; pre-releases
 * only when asked for (`--pre`). Every command that shows or picks a latest version asks here.
 */
export function latestVersion(tags: string[], options: {pre?: boolean} = {}): LatestVersion {
  const versioned = sortTags(tags).filter((t): t is {tag: string; version: string} => t.version !== undefined)
  const latest = versioned.find((t) => options.pre || semver.prerelease(t.version) === null)
  if (latest) return {latest}
  return versioned[0] ? {prereleaseOnly: versioned[0]} : {}
}

/** latestVersion as result fields: `latest`, or `onlyPrerelease` (the newest) when a name has no stable version. */
export function latestFields(tags: string[], options: {pre?: boolean} = {}): {latest?: string; onlyPrerelease?: string} {
  const {latest, prereleaseOnly} = latestVersion(tags, options)
  if (latest) return {latest: latest.tag}
  return prereleaseOnly ? {onlyPrerelease: prereleaseOnly.tag} : {}
}
