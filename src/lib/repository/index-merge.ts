import {NotFoundError} from '../errors.js'
import type {OciStores} from '../oci/stores.js'
import {type IndexedExtension, indexFileOf, indexSource, isStale, readRepositoryIndex, type RepositoryIndex} from './index-store.js'
import {forEachRepository, syncRepositoryIndex} from './index-sync.js'
import {firstLine} from '../util/error-text.js'
import {byPreference, type Repository, type RepositorySet} from './repository.js'

/** One repository's part of the merged index, and how old it is. */
export interface IndexPart {
  repository: string
  url: string
  /** When its index was last synced; absent when it has none. */
  synced?: string
  ageSeconds?: number
  /** Synced during this run. */
  refreshed: boolean
  /** No index to read: never synced and could not be (offline, or the sync failed). */
  missing: boolean
  /** Why a sync failed (an older index, when there is one, is still read). */
  error?: string
}

export interface MergedEntry {
  repository: Repository
  extension: IndexedExtension
}

export interface MergedIndex {
  parts: IndexPart[]
  /** Entries in preference order of their repositories (byPreference), then by name. */
  entries: MergedEntry[]
  /** The errors behind the parts' `error` (for a caller that fails when nothing could be read). */
  failures: unknown[]
}

export interface MergedIndexOptions {
  /** A part older than this is synced (incrementally) before it is read. */
  ttlSeconds: number
  /** Sync every part now. */
  refresh?: boolean
  /** Never sync: read what is there and say what is missing. */
  offline?: boolean
  concurrency: number
}

/**
 * The indexes of `repositories`, merged in preference order (SPEC §13): each read from the
 * cache, synced first when it is missing, older than the TTL, dated in the future (beyond a
 * minute of clock skew) or `refresh` is asked (never
 * when `offline`). A repository whose sync fails keeps its older index when it has one;
 * its part says what failed, and the others are still read.
 */
export async function loadMergedIndex(oci: OciStores, repositories: Repository[], options: MergedIndexOptions): Promise<MergedIndex> {
  const ordered = [...repositories].sort(byPreference)
  const failures: unknown[] = []
  const loaded = await forEachRepository(ordered, async (repository) => {
    let index = await readRepositoryIndex(indexFileOf(oci.settings.cacheDir, repository), indexSource(repository))
    const stale = !index || options.refresh || isStale(index.synced, options.ttlSeconds * 1000)
    let refreshed = false
    let error: string | undefined
    if (stale && !options.offline) {
      try {
        index = (await syncRepositoryIndex(oci, repository, {concurrency: options.concurrency})).index
        refreshed = true
      } catch (failure) {
        failures.push(failure)
        error = firstLine(failure)
      }
    }
    return {repository, index, part: partOf(repository, index, refreshed, error)}
  })
  const entries = loaded.flatMap(({repository, index}) => (index?.extensions ?? []).map((extension) => ({repository, extension})))
  return {parts: loaded.map((l) => l.part), entries, failures}
}

function partOf(repository: Repository, index: RepositoryIndex | undefined, refreshed: boolean, error: string | undefined): IndexPart {
  return {
    repository: repository.name,
    url: repository.url,
    ...(index ? {synced: index.synced, ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(index.synced)) / 1000))} : {}),
    refreshed,
    missing: !index,
    ...(error ? {error} : {}),
  }
}

/**
 * The repositories a command works on: the visible ones, or those named (each must be
 * visible: a repository the user's selector hides is named as such, not silently skipped).
 */
export function pickRepositories(set: RepositorySet, names: readonly string[]): Repository[] {
  if (names.length === 0) return set.visible
  return [...new Set(names)].map((name) => {
    const found = set.visible.find((r) => r.name === name)
    if (found) return found
    const hidden = set.all.some((r) => r.name === name)
    const visible = set.visible.map((r) => r.name).join(', ') || 'none'
    throw new NotFoundError(
      hidden ? `repository "${name}" is hidden by your repository_selector (${set.selector?.text ?? ''})` : `no repository named "${name}"`,
      {
        hint: hidden
          ? 'change repository_selector in config.user.toml to see it'
          : `repositories you can use: ${visible}; declare one with "provisioning repo add NAME URL"`,
        details: {repository: name, visible: set.visible.map((r) => r.name)},
      },
    )
  })
}
