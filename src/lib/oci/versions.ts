import semver from 'semver'

/** A tag's semver version (a leading `v` is accepted); undefined for non-semver tags. */
export function tagVersion(tag: string): string | undefined {
  return semver.valid(tag.replace(/^v(?=\d)/, '')) ?? undefined
}

/** Semver tags highest first, then the other tags by name. */
export function sortTags(tags: string[]): Array<{tag: string; version?: string}> {
  const parsed = tags.map((tag) => ({tag, version: tagVersion(tag)}))
  const versioned = parsed.filter((t) => t.version).sort((a, b) => semver.rcompare(a.version as string, b.version as string) || a.tag.localeCompare(b.tag))
  const other = parsed.filter((t) => !t.version).sort((a, b) => a.tag.localeCompare(b.tag))
  return [...versioned, ...other]
}
