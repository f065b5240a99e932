import {createHash} from 'node:crypto'
import {readdir, rm, stat} from 'node:fs/promises'
import path from 'node:path'

import {isDigest} from '../oci/digest.js'
import {formatLocation, TAG_PATTERN} from '../oci/reference.js'
import {latestVersion, tagVersion} from '../oci/versions.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {isPlainTable} from '../util/json-exact.js'
import {openUntrusted, readUntrusted} from '../util/untrusted-file.js'
import type {Repository} from './repository.js'

/** One version tag of an extension: its manifest digest and what its config blob says. */
export interface IndexedVersion {
  tag: string
  digest: string
  /** From the extension config (absent for an artifact that is not an extension). */
  type?: string
  description?: string
  keywords: string[]
}

export interface IndexedExtension {
  name: string
  /** The repository path inside the registry or layout (`team/extensions/redis`). */
  path: string
  /** Semver tags, highest first. */
  versions: IndexedVersion[]
}

/** The per-repository index `repo sync` keeps (SPEC §13). */
export interface RepositoryIndex {
  format: typeof INDEX_FORMAT
  /** The store and namespace it lists (indexSource): an index is never read for another. */
  source: string
  /** When the last sync finished. */
  synced: string
  extensions: IndexedExtension[]
}

/** Raised when the shape changes: an index of another format is rebuilt, never misread. */
const INDEX_FORMAT = 1
/** A cache file this CLI wrote: 10,000 extensions of 1,000 versions would not fit, real ones are far below. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024
/** Bounds on what a sync takes from one repository; what lies beyond is left out (and said). */
export const MAX_EXTENSIONS = 10_000
export const MAX_VERSIONS = 1000
const MAX_TEXT = 1024
const MAX_KEYWORDS = 32
const MAX_KEYWORD = 64
/** Index folders read by the readers that scan them all (completion, updates after a push). */
export const MAX_INDEX_FOLDERS = 256

/** The store and namespace a repository's index lists: its identity, whatever the repository is called. */
export function indexSource(repository: Pick<Repository, 'location' | 'namespace'>): string {
  const where = formatLocation(repository.location)
  return repository.namespace ? `${where}/${repository.namespace}` : where
}

/**
 * `<cacheDir>/repositories/<name>-<hash of the source>/index.json`: a repository whose URL
 * changed never reads the index of its old URL, and two repositories with one URL keep
 * their own (each sync is serialised on its own file).
 */
export function indexFileOf(cacheDir: string, repository: Pick<Repository, 'name' | 'location' | 'namespace'>): string {
  const hash = createHash('sha256').update(indexSource(repository)).digest('hex').slice(0, 16)
  return path.join(indexRoot(cacheDir), `${repository.name}-${hash}`, 'index.json')
}

export const indexRoot = (cacheDir: string) => path.join(cacheDir, 'repositories')

/**
 * Every index file under the cache, whatever repository wrote it: the first
 * MAX_INDEX_FOLDERS folders by name (not readdir order, so the same ones each time).
 */
export async function indexFilesUnder(cacheDir: string): Promise<string[]> {
  const folders = await readdir(indexRoot(cacheDir), {withFileTypes: true}).catch(() => [])
  return folders
    .filter((f) => f.isDirectory())
    .map((f) => f.name)
    .sort()
    .slice(0, MAX_INDEX_FOLDERS)
    .map((name) => path.join(indexRoot(cacheDir), name, 'index.json'))
}

/**
 * A folder of another URL of the same repository name is removed by a sync of that name
 * once untouched this long (every sync, update and lock touches its folder). Not at once:
 * the implicit `default` repository of two workspaces sharing one home has one name and two
 * URLs, and each would otherwise delete the other's index on every sync.
 */
export const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000

/** Removes the folders of `repository`'s name for other sources untouched for PRUNE_AFTER_MS; returns what it removed. */
export async function pruneOtherSources(
  cacheDir: string,
  repository: Pick<Repository, 'name' | 'location' | 'namespace'>,
  now = Date.now(),
): Promise<string[]> {
  const root = indexRoot(cacheDir)
  const own = path.basename(path.dirname(indexFileOf(cacheDir, repository)))
  const prefix = `${repository.name}-`
  const folders = await readdir(root, {withFileTypes: true}).catch(() => [])
  const removed: string[] = []
  for (const folder of folders) {
    // Exactly NAME-<16 hex>: the folders of "redis-cache" are never those of "redis".
    if (!folder.isDirectory() || folder.name === own || !folder.name.startsWith(prefix) || !/^[0-9a-f]{16}$/.test(folder.name.slice(prefix.length))) continue
    const where = path.join(root, folder.name)
    const touched = await stat(where).then(
      (info) => info.mtimeMs,
      () => now,
    )
    if (now - touched < PRUNE_AFTER_MS) continue
    await rm(where, {recursive: true, force: true}).then(
      () => removed.push(folder.name),
      () => undefined,
    )
  }
  return removed
}

/** A `synced` time this far in the future is a clock that stepped back or a copied cache: the index is stale. */
export const MAX_CLOCK_SKEW_MS = 60_000

/** Whether an index synced at `synced` is due for a sync: older than the TTL, or dated in the future beyond the skew. */
export function isStale(synced: string, ttlMs: number, now = Date.now()): boolean {
  const age = now - Date.parse(synced)
  return age >= ttlMs || age < -MAX_CLOCK_SKEW_MS
}

/**
 * Whether a sync that waited for the lock may take the index it finds there as it is: only
 * when not `full`, and another sync rewrote it while this one waited (its `synced` differs
 * from the one seen before the lock, is not before this sync was asked for, and is not in
 * the future).
 */
export function syncedMeanwhile(seen: string | undefined, found: string | undefined, options: {asked: number; full: boolean; now?: number}): boolean {
  if (options.full || found === undefined || found === seen) return false
  const synced = Date.parse(found)
  return synced >= options.asked && synced <= (options.now ?? Date.now()) + MAX_CLOCK_SKEW_MS
}

const isText = (value: unknown, max = MAX_TEXT): value is string => typeof value === 'string' && value.length <= max
const optionalText = (value: unknown) => value === undefined || isText(value)

function isIndexedVersion(value: unknown): value is IndexedVersion {
  return (
    isPlainTable(value) &&
    isText(value.tag) &&
    TAG_PATTERN.test(value.tag) &&
    tagVersion(value.tag) !== undefined &&
    isDigest(value.digest) &&
    optionalText(value.type) &&
    optionalText(value.description) &&
    Array.isArray(value.keywords) &&
    value.keywords.length <= MAX_KEYWORDS &&
    value.keywords.every((k) => isText(k, MAX_KEYWORD))
  )
}

function isIndexedExtension(value: unknown): value is IndexedExtension {
  return (
    isPlainTable(value) &&
    isText(value.name) &&
    value.name !== '' &&
    isText(value.path) &&
    value.path.split('/').pop() === value.name &&
    Array.isArray(value.versions) &&
    value.versions.length <= MAX_VERSIONS &&
    value.versions.every(isIndexedVersion)
  )
}

/**
 * A repository's index under the untrusted-file rule (a regular file, bounded, no link
 * followed), checked entry by entry: undefined when missing, damaged, of another format or
 * of another source (the caller syncs it again from scratch).
 */
export async function readRepositoryIndex(file: string, source: string): Promise<RepositoryIndex | undefined> {
  return asIndex(await readIndexDocument(file), source)
}

/** An index file whatever its source (for scans over every index: completion, updates after a push). */
export async function readAnyRepositoryIndex(file: string): Promise<RepositoryIndex | undefined> {
  return asIndex(await readIndexDocument(file))
}

/** Bytes read for an index's head: its source (a layout path may be long) and synced time come first. */
const HEAD_BYTES = 16 * 1024
const HEAD = /^\{"format":1,"source":("(?:[^"\\]|\\.)*"),"synced":("(?:[^"\\]|\\.)*")/

/**
 * An index's source and synced time from its first bytes, without reading the rest:
 * writeRepositoryIndex puts them first, in that order. Undefined when the file does not
 * start so (missing, unusable, another writer): the caller reads it whole, or treats it as
 * missing.
 */
export async function readIndexHead(file: string): Promise<{source: string; synced: string} | undefined> {
  const opened = await openUntrusted(file, {max: MAX_INDEX_BYTES}).catch(() => undefined)
  if (opened?.kind !== 'file') return undefined
  try {
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, opened.size))
    const {bytesRead} = await opened.handle.read(buffer, 0, buffer.length, 0)
    const match = HEAD.exec(buffer.subarray(0, bytesRead).toString('utf8'))
    if (!match) return undefined
    const source: unknown = JSON.parse(match[1])
    const synced: unknown = JSON.parse(match[2])
    return typeof source === 'string' && typeof synced === 'string' ? {source, synced} : undefined
  } catch {
    return undefined
  } finally {
    await opened.handle.close()
  }
}

async function readIndexDocument(file: string): Promise<unknown> {
  const read = await readUntrusted(file, {max: MAX_INDEX_BYTES}).catch(() => undefined)
  if (read?.kind !== 'data') return undefined
  try {
    return JSON.parse(read.data.toString('utf8'))
  } catch {
    return undefined
  }
}

/** The document as an index of `source` (of any source when not given), or undefined. */
function asIndex(doc: unknown, source?: string): RepositoryIndex | undefined {
  if (!isPlainTable(doc) || doc.format !== INDEX_FORMAT || typeof doc.source !== 'string') return undefined
  if (source !== undefined && doc.source !== source) return undefined
  if (typeof doc.synced !== 'string' || Number.isNaN(Date.parse(doc.synced))) return undefined
  if (!Array.isArray(doc.extensions) || doc.extensions.length > MAX_EXTENSIONS || !doc.extensions.every(isIndexedExtension)) return undefined
  return {format: INDEX_FORMAT, source: doc.source, synced: doc.synced, extensions: doc.extensions}
}

export async function writeRepositoryIndex(file: string, index: Omit<RepositoryIndex, 'format'>): Promise<RepositoryIndex> {
  // Keys in this order: readIndexHead reads the source and synced time from the first bytes.
  const whole: RepositoryIndex = {format: INDEX_FORMAT, source: index.source, synced: index.synced, extensions: [...index.extensions].sort(byName)}
  await writeFileAtomic(file, JSON.stringify(whole), {durable: false})
  return whole
}

const byName = (a: IndexedExtension, b: IndexedExtension) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

/** What an index entry shows: the fields of its latest version (stable unless `pre`; else the newest pre-release). */
export function describedBy(extension: IndexedExtension, pre = false): IndexedVersion | undefined {
  const {latest, prereleaseOnly} = latestVersion(
    extension.versions.map((v) => v.tag),
    {pre},
  )
  const tag = (latest ?? prereleaseOnly)?.tag
  return extension.versions.find((v) => v.tag === tag)
}

/** Config text as the index keeps it: bounded strings, or nothing. */
export function configFields(config: Record<string, unknown> | undefined): Pick<IndexedVersion, 'type' | 'description' | 'keywords'> {
  if (!config) return {keywords: []}
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, MAX_TEXT) : undefined)
  const type = text(config.type)
  const description = text(config.description)
  const keywords = Array.isArray(config.tags)
    ? config.tags
        .filter((t): t is string => typeof t === 'string')
        .slice(0, MAX_KEYWORDS)
        .map((t) => t.slice(0, MAX_KEYWORD))
    : []
  return {...(type === undefined ? {} : {type}), ...(description === undefined ? {} : {description}), keywords}
}

/** Whether an extension matches a search term: its name, or its latest version's description or keywords. */
export function extensionMatches(extension: IndexedExtension, term: string): boolean {
  const needle = term.toLowerCase()
  const shown = describedBy(extension)
  return (
    extension.name.toLowerCase().includes(needle) ||
    (shown?.description ?? '').toLowerCase().includes(needle) ||
    (shown?.keywords ?? []).some((k) => k.toLowerCase().includes(needle))
  )
}
