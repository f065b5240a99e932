import pLimit, {type LimitFunction} from 'p-limit'

import {readArtifact, readExtensionConfig} from '../artifact/artifact-reader.js'
import {IntegrityError, NotFoundError} from '../errors.js'
import type {OciStores} from '../oci/stores.js'
import {formatLocation, type Location} from '../oci/reference.js'
import {sortTags} from '../oci/versions.js'
import {withFileLock} from '../util/file-lock.js'
import {
  configFields,
  type IndexedExtension,
  type IndexedVersion,
  indexFilesUnder,
  indexFileOf,
  indexSource,
  MAX_EXTENSIONS,
  MAX_VERSIONS,
  readAnyRepositoryIndex,
  readRepositoryIndex,
  type RepositoryIndex,
  writeRepositoryIndex,
} from './index-store.js'
import type {Repository} from './repository.js'

export interface SyncCounts {
  /** Versions new to the index, gone from the registry, and tags now pointing at another manifest. */
  added: number
  removed: number
  changed: number
  /** Requests made: listings (catalog and tags), tag resolutions (HEAD), manifest and config reads (GET; cache hits not counted). */
  requests: {listings: number; resolves: number; manifests: number; configs: number}
}

export interface SyncOutcome extends SyncCounts {
  index: RepositoryIndex
  /** Another sync finished while this one waited for the lock: its index is used as it is. */
  alreadyFresh: boolean
  /** What a bound left out (extensions or versions beyond the limits). */
  truncated: string[]
}

/** Repositories synced at once by one run (each sync bounds its own requests: oci.concurrency). */
const PARALLEL_REPOSITORIES = 4

/**
 * `work` for each repository, PARALLEL_REPOSITORIES at a time, results in the order given:
 * the one scheduling of `repo sync` and of the merged index's syncs.
 */
export function forEachRepository<T>(repositories: readonly Repository[], work: (repository: Repository) => Promise<T>): Promise<T[]> {
  const limit = pLimit(PARALLEL_REPOSITORIES)
  return Promise.all(repositories.map((repository) => limit(() => work(repository))))
}

/** A second sync of one repository waits this long for the first (a sync of thousands of tags takes a while). */
const SYNC_LOCK_WAIT_MS = 120_000
/** An update after a push waits this long; then it is skipped (the index is a cache: search says its age). */
const UPDATE_LOCK_WAIT_MS = 5000

const noCounts = (): SyncCounts => ({added: 0, removed: 0, changed: 0, requests: {listings: 0, resolves: 0, manifests: 0, configs: 0}})

/** The repositories of one namespace (all when the namespace is empty). */
export async function namespaceRepositories(oci: OciStores, location: Location, namespace: string): Promise<string[]> {
  const all = await oci.store(location).listRepositories()
  return namespace ? all.filter((r) => r.startsWith(`${namespace}/`)) : all
}

interface SyncContext {
  oci: OciStores
  location: Location
  counts: SyncCounts
  truncated: string[]
  /** Every request goes through it: at most `concurrency` in flight. */
  request: LimitFunction
  /**
   * Resolve every version tag this sync looks at again, known ones included: every tag of
   * the repository for `repo sync --full`; the tags of the one extension a push, copy, tag
   * or delete through this CLI changed (updateIndexEntry).
   */
  full: boolean
}

/**
 * Brings a repository's index up to date (SPEC §13 "repo sync"). Listings are always made
 * (repositories and tags: deletions only show there); a version tag the index already holds
 * is kept without a request, since published versions are immutable (`oci push` refuses to
 * move one without --force, and dep resolve checks the locked ones itself); a new tag is
 * resolved and its manifest and config read, from the blob cache when it holds that digest.
 * `full` resolves every tag again and reads those that point elsewhere now.
 * Concurrent syncs of one repository serialise on the index file; one that waited for
 * another finished after it asked takes that index as it is.
 */
export async function syncRepositoryIndex(oci: OciStores, repository: Repository, options: {concurrency: number; full?: boolean}): Promise<SyncOutcome> {
  const file = indexFileOf(oci.settings.cacheDir, repository)
  const source = indexSource(repository)
  const asked = Date.now()
  return withFileLock(`${file}.lock`, {waitMs: SYNC_LOCK_WAIT_MS, purpose: `repo sync ${repository.name}`}, async () => {
    const old = await readRepositoryIndex(file, source)
    if (old && Date.parse(old.synced) >= asked) return {index: old, alreadyFresh: true, truncated: [], ...noCounts()}
    const context: SyncContext = {
      oci,
      location: repository.location,
      counts: noCounts(),
      truncated: [],
      request: pLimit(Math.max(1, options.concurrency)),
      full: options.full === true,
    }
    context.counts.requests.listings++
    let paths = await context.request(() => namespaceRepositories(oci, repository.location, repository.namespace))
    if (paths.length > MAX_EXTENSIONS) {
      context.truncated.push(`${paths.length} repositories under ${source}: the first ${MAX_EXTENSIONS} (by name) are indexed`)
      paths = [...paths].sort().slice(0, MAX_EXTENSIONS)
    }
    const known = new Map(old?.extensions.map((e) => [e.path, e]))
    const extensions = await Promise.all(paths.map((path) => syncExtension(context, path, known.get(path))))
    // Extensions whose repository is gone from the listing: every version removed.
    const listed = new Set(paths)
    for (const gone of old?.extensions.filter((e) => !listed.has(e.path)) ?? []) context.counts.removed += gone.versions.length
    const index = await writeRepositoryIndex(file, {
      source,
      synced: new Date().toISOString(),
      extensions: extensions.filter((e): e is IndexedExtension => e !== undefined),
    })
    return {index, alreadyFresh: false, truncated: context.truncated, ...context.counts}
  })
}

/**
 * One extension's entry from its tags: versions the old entry holds at the same digest are
 * kept as they are; the others are read. Undefined when the repository has no version tag
 * (or is gone).
 */
async function syncExtension(context: SyncContext, path: string, old: IndexedExtension | undefined): Promise<IndexedExtension | undefined> {
  const {oci, location, counts} = context
  const store = oci.store(location)
  counts.requests.listings++
  const tags = await context
    .request(() => store.listTags(path))
    .catch((error: unknown) => {
      if (error instanceof NotFoundError) return [] as string[]
      throw error
    })
  let semverTags = sortTags(tags)
    .filter((t) => t.version)
    .map((t) => t.tag)
  if (semverTags.length > MAX_VERSIONS) {
    context.truncated.push(`${path}: ${semverTags.length} version tags, the highest ${MAX_VERSIONS} are indexed`)
    semverTags = semverTags.slice(0, MAX_VERSIONS)
  }
  const previous = new Map(old?.versions.map((v) => [v.tag, v]))
  const versions = await Promise.all(semverTags.map((tag) => context.request(() => indexVersion(context, path, tag, previous.get(tag)))))
  const present = versions.filter((v): v is IndexedVersion => v !== undefined)
  const kept = new Set(present.map((v) => v.tag))
  counts.removed += [...previous.keys()].filter((tag) => !kept.has(tag)).length
  if (present.length === 0) return undefined
  return {name: path.split('/').pop() ?? path, path, versions: present}
}

/** One version tag: kept when the index holds it (unless `full`), else resolved and read when the index does not hold that digest already. */
async function indexVersion(context: SyncContext, path: string, tag: string, old: IndexedVersion | undefined): Promise<IndexedVersion | undefined> {
  const {oci, location, counts} = context
  if (old && !context.full) return old
  counts.requests.resolves++
  let digest: string
  try {
    digest = (await oci.store(location).resolve(path, tag)).digest
  } catch (error) {
    if (error instanceof NotFoundError) return undefined // deleted since the listing
    throw error
  }
  if (old?.digest === digest) return old
  if (old) counts.changed++
  else counts.added++
  const cachedManifest = await oci.cache.get({digest})
  if (!cachedManifest) counts.requests.manifests++
  const artifact = await readArtifact(
    oci,
    {location, repository: path, digest},
    cachedManifest ? {descriptor: {mediaType: '', digest, size: cachedManifest.byteLength}, bytes: cachedManifest} : undefined,
  )
  if (!cachedManifest) await oci.cache.put(artifact.manifest.descriptor, artifact.manifest.bytes)
  const configDigest = artifact.image.config?.digest
  if (configDigest && !(await oci.cache.get({digest: configDigest}))) counts.requests.configs++
  // An artifact that is not an extension, or whose config is not JSON, is indexed without its fields.
  const config = await readExtensionConfig(artifact).catch((error: unknown) => {
    if (error instanceof IntegrityError) return undefined
    throw error
  })
  return {tag, digest, ...configFields(config)}
}

/**
 * After a push, copy, tag or delete through this CLI: the extension's entry in every index
 * that lists its repository is synced in place (or dropped when no version is left), so
 * `oci search` sees the change at once. An index that does not exist stays missing; `synced`
 * keeps its time, since the other entries are as old as before. The change itself
 * succeeded: an index that cannot be updated stays as it was (search says its age).
 */
export async function updateIndexEntry(oci: OciStores, location: Location, path: string): Promise<void> {
  // A push to oci-layout://PATH names the layout folder itself: no repository, no entry.
  if (path === '') return
  const where = formatLocation(location)
  const files = await indexFilesUnder(oci.settings.cacheDir)
  for (const file of files) {
    const index = await readAnyRepositoryIndex(file)
    if (!index || !listsPath(index.source, where, path)) continue
    await withFileLock(`${file}.lock`, {waitMs: UPDATE_LOCK_WAIT_MS, purpose: 'index update'}, async () => {
      // Read again under the lock: a sync may have rewritten it meanwhile.
      const current = await readRepositoryIndex(file, index.source)
      if (!current) return
      const context: SyncContext = {oci, location, counts: noCounts(), truncated: [], request: pLimit(Math.max(1, oci.settings.concurrency)), full: true}
      const entry = await syncExtension(
        context,
        path,
        current.extensions.find((e) => e.path === path),
      )
      const extensions = current.extensions.filter((e) => e.path !== path)
      await writeRepositoryIndex(file, {...current, extensions: entry ? [...extensions, entry] : extensions})
    }).catch(() => undefined)
  }
}

/** Whether an index of `source` lists the repository `path` of the store at `where`. */
function listsPath(source: string, where: string, path: string): boolean {
  if (source === where) return true
  if (!source.startsWith(`${where}/`)) return false
  return path.startsWith(`${source.slice(where.length + 1)}/`)
}
