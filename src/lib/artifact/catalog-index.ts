import {createHash} from 'node:crypto'
import path from 'node:path'

import pLimit from 'p-limit'

import {NotFoundError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {withFileLock} from '../util/file-lock.js'
import {isPlainTable} from '../util/json-exact.js'
import {readUntrusted} from '../util/untrusted-file.js'
import {readArtifact, readExtensionConfig} from './artifact-reader.js'
import type {OciStores} from '../oci/stores.js'
import {formatLocation, type Location, withTag} from '../oci/reference.js'
import {latestVersion, sortTags} from '../oci/versions.js'

export interface IndexEntry {
  name: string
  repository: string
  /** Semver tags, highest first (pre-releases included: "latest" is chosen when shown). */
  versions: string[]
  type?: string
  description?: string
  tags: string[]
}

export interface CatalogIndex {
  format: typeof INDEX_FORMAT
  registry: string
  namespace: string
  built: string
  entries: IndexEntry[]
}

/** Raised when the entry shape changes: a cached index of another format is rebuilt, never misread. */
const INDEX_FORMAT = 2
/** A cache file this CLI wrote; an index of 100,000 extensions is ~30 MiB. Anything larger is not ours. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024
/** An update waits this long for another one; then it is skipped (the index is a cache: search says its age). */
const INDEX_LOCK_WAIT_MS = 5000

/**
 * A readable file-name part plus a hash of the exact value: `team/sub` and `team_sub` (or
 * two registries that read alike) must never share a file, and a long layout path must
 * still give a legal file name.
 */
function fileNamePart(value: string, empty: string): string {
  const readable = value.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || empty
  return `${readable}-${createHash('sha256').update(value).digest('hex').slice(0, 16)}`
}

function indexFile(cacheDir: string, location: Location, namespace: string): string {
  return path.join(cacheDir, 'index', fileNamePart(formatLocation(location), '_'), `${fileNamePart(namespace, '_root')}.json`)
}

/** Repositories of one namespace (all when the namespace is empty). */
export async function namespaceRepositories(oci: OciStores, location: Location, namespace: string): Promise<string[]> {
  const all = await oci.store(location).listRepositories()
  return namespace ? all.filter((r) => r.startsWith(`${namespace}/`)) : all
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string')
const optionalString = (value: unknown) => value === undefined || typeof value === 'string'

function isIndexEntry(value: unknown): value is IndexEntry {
  return (
    isPlainTable(value) &&
    typeof value.name === 'string' &&
    typeof value.repository === 'string' &&
    isStringList(value.versions) &&
    isStringList(value.tags) &&
    optionalString(value.type) &&
    optionalString(value.description)
  )
}

/**
 * The cached index under the untrusted-file rule (a regular file, bounded, no link
 * followed), checked entry by entry; undefined when missing, damaged, of another format or
 * of another registry or namespace than the one asked for (the caller rebuilds it).
 */
async function readIndexFile(file: string, expected: {registry: string; namespace: string}): Promise<CatalogIndex | undefined> {
  const read = await readUntrusted(file, {max: MAX_INDEX_BYTES}).catch(() => undefined)
  if (read?.kind !== 'data') return undefined
  let doc: unknown
  try {
    doc = JSON.parse(read.data.toString('utf8'))
  } catch {
    return undefined
  }
  if (
    !isPlainTable(doc) ||
    doc.format !== INDEX_FORMAT ||
    typeof doc.registry !== 'string' ||
    typeof doc.namespace !== 'string' ||
    typeof doc.built !== 'string' ||
    Number.isNaN(Date.parse(doc.built))
  )
    return undefined
  if (doc.registry !== expected.registry || doc.namespace !== expected.namespace) return undefined
  if (!Array.isArray(doc.entries) || !doc.entries.every(isIndexEntry)) return undefined
  return doc as unknown as CatalogIndex
}

/** One repository's entry: its semver tags and, from the config blob of its latest version, type, description and tags. */
async function buildEntry(oci: OciStores, location: Location, repository: string): Promise<IndexEntry> {
  const tags = await oci.store(location).listTags(repository)
  const versions = sortTags(tags).filter((t) => t.version)
  const entry: IndexEntry = {name: repository.split('/').pop() ?? repository, repository, versions: versions.map((v) => v.tag), tags: []}
  // The description of the latest stable version; of the newest pre-release when there is no stable one.
  const {latest, prereleaseOnly} = latestVersion(tags)
  const describing = latest ?? prereleaseOnly
  if (!describing) return entry
  const artifact = await readArtifact(oci, withTag({location, repository}, describing.tag))
  const config = await readExtensionConfig(artifact).catch(() => undefined)
  if (config) {
    entry.type = typeof config.type === 'string' ? config.type : undefined
    entry.description = typeof config.description === 'string' ? config.description : undefined
    entry.tags = Array.isArray(config.tags) ? config.tags.map(String) : []
  }
  return entry
}

const byName = (a: IndexEntry, b: IndexEntry) => a.name.localeCompare(b.name) || a.repository.localeCompare(b.repository)

/**
 * The search index of a namespace: built from `_catalog` (or the layout folders), the tags
 * of each repository and the config blob of its latest version; cached for `ttlSeconds`.
 */
export async function loadCatalogIndex(
  oci: OciStores,
  location: Location,
  namespace: string,
  options: {ttlSeconds: number; refresh?: boolean; concurrency: number},
): Promise<CatalogIndex & {fromCache: boolean}> {
  const file = indexFile(oci.settings.cacheDir, location, namespace)
  if (!options.refresh) {
    const cached = await readIndexFile(file, {registry: formatLocation(location), namespace})
    if (cached && Date.now() - Date.parse(cached.built) < options.ttlSeconds * 1000) return {...cached, fromCache: true}
  }
  const repositories = await namespaceRepositories(oci, location, namespace)
  const limit = pLimit(Math.max(1, options.concurrency))
  const entries = await Promise.all(repositories.map((repository) => limit(() => buildEntry(oci, location, repository))))
  const index: CatalogIndex = {
    format: INDEX_FORMAT,
    registry: formatLocation(location),
    namespace,
    built: new Date().toISOString(),
    entries: entries.sort(byName),
  }
  await writeFileAtomic(file, JSON.stringify(index), {durable: false})
  return {...index, fromCache: false}
}

/** The namespaces whose index lists a repository: its own, each parent, and the root (`''`). */
function namespacesOf(repository: string): string[] {
  const parts = repository.split('/').slice(0, -1)
  return [...parts.map((_, i) => parts.slice(0, parts.length - i).join('/')), '']
}

/**
 * After a push, copy or delete through this CLI: the repository's entry in every cached
 * index that lists it is rebuilt in place (or dropped when no version is left), so `oci
 * search` sees the change at once. An index that is not cached stays missing (the next
 * search builds it whole); `built` keeps its time, since the other entries are as old as before.
 */
export async function updateIndexEntry(oci: OciStores, location: Location, repository: string): Promise<void> {
  // A push to oci-layout://PATH names the layout folder itself: no repository, no entry.
  if (repository === '') return
  // The change itself succeeded: an index that cannot be updated stays as it was (search says its age and how to refresh).
  await rebuildEntry(oci, location, repository).catch(() => undefined)
}

async function rebuildEntry(oci: OciStores, location: Location, repository: string): Promise<void> {
  const registry = formatLocation(location)
  const files = namespacesOf(repository).map((namespace) => ({file: indexFile(oci.settings.cacheDir, location, namespace), expected: {registry, namespace}}))
  const cached = (await Promise.all(files.map(async (f) => ({...f, index: await readIndexFile(f.file, f.expected)})))).filter((c) => c.index !== undefined)
  if (cached.length === 0) return
  // Every cached file is locked (always in the same order, so two updates cannot deadlock)
  // before the entry is built: parallel pushes of two versions must not let the one that
  // listed the tags first write last, leaving the other version out.
  const underLocks = async (rest: typeof cached): Promise<void> => {
    if (rest.length > 0) {
      await withFileLock(`${rest[0].file}.lock`, {waitMs: INDEX_LOCK_WAIT_MS, purpose: 'search index update'}, () => underLocks(rest.slice(1)))
      return
    }
    const entry = await buildEntry(oci, location, repository).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined // the repository is gone
      throw error
    })
    for (const {file, expected} of cached) {
      const index = await readIndexFile(file, expected)
      if (!index) continue
      const entries = index.entries.filter((e) => e.repository !== repository)
      if (entry && entry.versions.length > 0) entries.push(entry)
      await writeFileAtomic(file, JSON.stringify({...index, entries: entries.sort(byName)}), {durable: false})
    }
  }
  await underLocks(cached)
}

export function matchEntries(entries: IndexEntry[], term: string): IndexEntry[] {
  const needle = term.toLowerCase()
  return entries.filter(
    (e) =>
      e.name.toLowerCase().includes(needle) || (e.description ?? '').toLowerCase().includes(needle) || e.tags.some((t) => t.toLowerCase().includes(needle)),
  )
}
