import {createHash} from 'node:crypto'
import {readdir} from 'node:fs/promises'
import path from 'node:path'

import {isDigest} from '../oci/digest.js'
import {formatLocation, TAG_PATTERN} from '../oci/reference.js'
import {latestVersion, tagVersion} from '../oci/versions.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {isPlainTable} from '../util/json-exact.js'
import {readUntrusted} from '../util/untrusted-file.js'
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

/** Every index file under the cache (at most MAX_INDEX_FOLDERS folders), whatever repository wrote it. */
export async function indexFilesUnder(cacheDir: string): Promise<string[]> {
  const folders = await readdir(indexRoot(cacheDir), {withFileTypes: true}).catch(() => [])
  return folders
    .filter((f) => f.isDirectory())
    .slice(0, MAX_INDEX_FOLDERS)
    .map((f) => path.join(indexRoot(cacheDir), f.name, 'index.json'))
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
  const whole: RepositoryIndex = {format: INDEX_FORMAT, ...index, extensions: [...index.extensions].sort(byName)}
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
