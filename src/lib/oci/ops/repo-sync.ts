import {declaredRepositories} from '../../deps/repositories.js'
import {isProvisioningError} from '../../errors.js'
import {pickRepositories} from '../../repository/index-merge.js'
import {forEachRepository, type SyncCounts, syncRepositoryIndex} from '../../repository/index-sync.js'
import type {Repository} from '../../repository/repository.js'
import type {OciStores} from '../stores.js'
import {type OciOperationOptions, withSession} from './session.js'

export type RepositorySyncReport = {
  repository: string
  url: string
  durationMs: number
} & (
  | (SyncCounts & {
      ok: true
      extensions: number
      versions: number
      /** Another sync of it finished while this one waited: nothing was asked of the registry. */
      alreadyFresh: boolean
      /** What the bounds left out. */
      truncated: string[]
      /** Version tags whose artifact cannot be read (`path:tag: reason`): left out of the index, tried again next time. */
      skipped: string[]
    })
  | {ok: false; error: {code: string; message: string; exit: number; hint?: string}}
)

export interface RepoSyncResult {
  repositories: RepositorySyncReport[]
  /** The exit code of the first repository that failed (in the order listed), 0 when all synced. */
  exit: number
}

/**
 * `repo sync [NAME…]`: brings the index of each named repository (default: every visible
 * one) up to date, several at a time. A repository that fails is reported with its error
 * and the others still sync.
 */
export async function syncRepositories(options: OciOperationOptions & {names: string[]; full?: boolean}): Promise<RepoSyncResult> {
  const loaded = await options.config()
  const set = declaredRepositories(loaded)
  for (const problem of set.problems) options.onWarning?.(problem)
  const repositories = pickRepositories(set, options.names)
  // The source's warnings were said with the repositories' problems above.
  return withSession({...options, onWarning: undefined, workspaceSource: 'fallback'}, async ({settings, oci}) => {
    const reports = await forEachRepository(repositories, (repository) => syncOne(oci, repository, {concurrency: settings.concurrency, full: options.full}))
    const failed = reports.find((r) => !r.ok)
    return {repositories: reports, exit: failed && !failed.ok ? failed.error.exit : 0}
  })
}

async function syncOne(oci: OciStores, repository: Repository, options: {concurrency: number; full?: boolean}): Promise<RepositorySyncReport> {
  const started = performance.now()
  const base = {repository: repository.name, url: repository.url}
  const duration = () => Math.round(performance.now() - started)
  try {
    const {index, alreadyFresh, truncated, skipped, added, removed, changed, requests} = await syncRepositoryIndex(oci, repository, options)
    return {
      ...base,
      durationMs: duration(),
      ok: true,
      extensions: index.extensions.length,
      versions: index.extensions.reduce((sum, e) => sum + e.versions.length, 0),
      added,
      removed,
      changed,
      requests,
      alreadyFresh,
      truncated,
      skipped,
    }
  } catch (error) {
    const known = isProvisioningError(error)
    return {
      ...base,
      durationMs: duration(),
      ok: false,
      error: {
        code: known ? error.code : 'E_INTERNAL',
        message: error instanceof Error ? error.message : String(error),
        exit: known ? error.exit : 1,
        ...(known && error.hint ? {hint: error.hint} : {}),
      },
    }
  }
}
