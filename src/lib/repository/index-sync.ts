import pLimit, {type LimitFunction} from 'p-limit'

import {readArtifact, readExtensionConfig} from '../artifact/artifact-reader.js'
import {AuthError, IntegrityError, isProvisioningError, NotFoundError, RegistryError} from '../errors.js'
import type {ManifestContent} from '../oci/store.js'
import type {OciStores} from '../oci/stores.js'
import {formatLocation, type Location} from '../oci/reference.js'
import {sortTags} from '../oci/versions.js'
import {firstLine} from '../util/error-text.js'
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
  pruneOtherSources,
  readAnyRepositoryIndex,
  readIndexHead,
  readRepositoryIndex,
  type RepositoryIndex,
  syncedMeanwhile,
  writeRepositoryIndex,
} from './index-store.js'
import type {Repository} from './repository.js'

export interface SyncCounts {
  /** Versions new to the index, gone from the registry, and tags now pointing at another manifest. */
  added: number
  removed: number
  changed: number
  /**
   * Requests made: listings (catalog and tags), tag resolutions (HEAD: known tags with
   * `full` only), manifest reads (GET: by tag for a new tag, by digest for a known tag that
   * points elsewhere now and whose manifest is not cached) and config reads (GET; cache hits
   * not counted).
   */
  requests: {listings: number; resolves: number; manifests: number; configs: number}
}

export interface SyncOutcome extends SyncCounts {
  index: RepositoryIndex
  /** Another sync finished while this one waited for the lock: its index is used as it is. */
  alreadyFresh: boolean
  /** What a bound left out (extensions or versions beyond the limits). */
  truncated: string[]
  /** Version tags left out because their artifact cannot be read (`path:tag: reason`); the next sync tries them again. */
  skipped: string[]
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
  skipped: string[]
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
 * move one without --force, and dep resolve checks the locked ones itself); a new tag's
 * manifest is read by tag (one GET) and its config through the blob cache. `full` resolves
 * every known tag again (HEAD) and reads those that point elsewhere now. A tag whose
 * artifact cannot be read is skipped and said; only a failure of the registry itself
 * (failsRepository) fails the sync. Concurrent syncs of one repository serialise on the
 * index file; one that waited while another rewrote it takes that index as it is (never
 * with `full`). Afterwards, long-untouched folders of this name for other URLs are removed.
 */
export async function syncRepositoryIndex(oci: OciStores, repository: Repository, options: {concurrency: number; full?: boolean}): Promise<SyncOutcome> {
  const file = indexFileOf(oci.settings.cacheDir, repository)
  const source = indexSource(repository)
  const asked = Date.now()
  const full = options.full === true
  // The synced time before the lock: a different one under the lock means another sync wrote it meanwhile.
  const seen = (await readIndexHead(file))?.synced
  const outcome = await withFileLock(`${file}.lock`, {waitMs: SYNC_LOCK_WAIT_MS, purpose: `repo sync ${repository.name}`}, async () => {
    const old = await readRepositoryIndex(file, source)
    if (old && syncedMeanwhile(seen, old.synced, {asked, full})) return {index: old, alreadyFresh: true, truncated: [], skipped: [], ...noCounts()}
    const context: SyncContext = {
      oci,
      location: repository.location,
      counts: noCounts(),
      truncated: [],
      skipped: [],
      request: pLimit(Math.max(1, options.concurrency)),
      full,
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
    return {index, alreadyFresh: false, truncated: context.truncated, skipped: context.skipped.sort(), ...context.counts}
  })
  // Folders of this name for another URL, long untouched (a URL that changed): a cache nobody reads.
  await pruneOtherSources(oci.settings.cacheDir, repository).catch(() => undefined)
  return outcome
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

/**
 * Whether a failure reading one version is the repository's, failing its sync: the
 * credentials, the connection, a deadline, a 5xx or 429 answer (after retries), or anything
 * that is not one of our errors (a bug, the local disk). Otherwise it is that artifact's (not
 * an extension, an empty index, a document over the bounds, damaged content, a 4xx answer
 * for that manifest) and only its tag is skipped.
 */
export function failsRepository(error: unknown): boolean {
  if (!isProvisioningError(error) || error instanceof AuthError) return true
  if (!(error instanceof RegistryError)) return false
  const {status} = error.details
  return !(typeof status === 'number' && status >= 400 && status < 500 && status !== 429)
}

/**
 * One version tag: kept when the index holds it (unless `full`); undefined when the tag is
 * gone since the listing, or its artifact cannot be read (then said in `skipped`).
 */
async function indexVersion(context: SyncContext, path: string, tag: string, old: IndexedVersion | undefined): Promise<IndexedVersion | undefined> {
  if (old && !context.full) return old
  try {
    return await readVersion(context, path, tag, old)
  } catch (error) {
    if (failsRepository(error)) throw error
    context.skipped.push(`${path}:${tag}: ${firstLine(error)}`)
    return undefined
  }
}

/**
 * A new tag costs one GET of its manifest by tag (the digest is that of the bytes, checked
 * by the store), even when the blob cache holds that manifest: a HEAD first would cost a
 * request more for every new version of a first sync. A known tag (with `full`) is
 * resolved (HEAD) and read only when it points elsewhere now, by digest, from the cache
 * when it is there. The config blob is read through the cache.
 */
async function readVersion(context: SyncContext, path: string, tag: string, old: IndexedVersion | undefined): Promise<IndexedVersion | undefined> {
  const {oci, location, counts} = context
  const store = oci.store(location)
  const tagGone = (error: unknown) => {
    if (error instanceof NotFoundError) return undefined // deleted since the listing
    throw error
  }
  let manifest: ManifestContent | undefined
  if (old) {
    counts.requests.resolves++
    const resolved = await store.resolve(path, tag).catch(tagGone)
    if (!resolved) return undefined
    if (resolved.digest === old.digest) return old
    const cached = await oci.cache.get({digest: resolved.digest})
    if (cached) manifest = {descriptor: {mediaType: '', digest: resolved.digest, size: cached.byteLength}, bytes: cached}
    else {
      counts.requests.manifests++
      manifest = await store.fetchManifest(path, resolved.digest).catch(tagGone)
      if (manifest) await oci.cache.put(manifest.descriptor, manifest.bytes)
    }
  } else {
    counts.requests.manifests++
    manifest = await store.fetchManifest(path, tag).catch(tagGone)
    if (manifest) await oci.cache.put(manifest.descriptor, manifest.bytes)
  }
  if (!manifest) return undefined
  const {digest} = manifest.descriptor
  const artifact = await readArtifact(oci, {location, repository: path, digest}, manifest)
  const configDigest = artifact.image.config?.digest
  if (configDigest && !(await oci.cache.get({digest: configDigest}))) counts.requests.configs++
  // An artifact that is not an extension, or whose config is not JSON, is indexed without its fields.
  const config = await readExtensionConfig(artifact).catch((error: unknown) => {
    if (error instanceof IntegrityError) return undefined
    throw error
  })
  if (old) counts.changed++
  else counts.added++
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
  for (const file of await indexFilesUnder(oci.settings.cacheDir)) {
    // Only the first bytes of each index (its source) choose the ones to update; a file
    // that does not start as this CLI writes it is read whole.
    const source = (await readIndexHead(file))?.source ?? (await readAnyRepositoryIndex(file))?.source
    if (source === undefined || !listsPath(source, where, path)) continue
    await withFileLock(`${file}.lock`, {waitMs: UPDATE_LOCK_WAIT_MS, purpose: 'index update'}, async () => {
      // Read whole under the lock: a sync may have rewritten it meanwhile.
      const current = await readRepositoryIndex(file, source)
      if (!current) return
      const context: SyncContext = {
        oci,
        location,
        counts: noCounts(),
        truncated: [],
        skipped: [],
        request: pLimit(Math.max(1, oci.settings.concurrency)),
        full: true,
      }
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
