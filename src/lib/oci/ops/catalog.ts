import pLimit from 'p-limit'

import type {LoadedConfig} from '../../config/loader.js'
import {declaredRepositories} from '../../deps/repositories.js'
import {describedBy, extensionMatches} from '../../repository/index-store.js'
import {type IndexPart, loadMergedIndex, pickRepositories} from '../../repository/index-merge.js'
import {namespaceRepositories} from '../../repository/index-sync.js'
import type {Repository} from '../../repository/repository.js'
import {formatLocation, parseLocation} from '../reference.js'
import {latestFields, sortTags} from '../versions.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface ListResult {
  registry: string
  namespace: string
  extensions: Array<{name: string; repository: string; latest?: string; onlyPrerelease?: string; versions: number}>
}

/** `oci list`: the repositories of a namespace with their latest version (stable unless `--pre`), listed live. */
export async function listExtensions(options: OciOperationOptions & {namespace?: string}): Promise<ListResult> {
  return withSession({...options, workspaceSource: 'fallback'}, async ({settings, oci}) => {
    const location = parseLocation(settings.registry, settings.cwd)
    const namespace = options.namespace ?? settings.namespace
    const repositories = await namespaceRepositories(oci, location, namespace)
    const limit = pLimit(Math.max(1, settings.concurrency))
    const extensions = await Promise.all(
      repositories.map((repository) =>
        limit(async () => {
          const tags = await oci.store(location).listTags(repository)
          return {
            name: repository.split('/').pop() ?? repository,
            repository,
            ...latestFields(tags, {pre: settings.prereleases}),
            versions: sortTags(tags).filter((t) => t.version).length,
          }
        }),
      ),
    )
    return {registry: formatLocation(location), namespace, extensions: extensions.sort((a, b) => a.name.localeCompare(b.name))}
  })
}

export interface SearchMatch {
  name: string
  /** The repository that offers it (its declared name; `default` is the workspace's own source). */
  repository: string
  /** Its repository path inside that registry or layout. */
  path: string
  type?: string
  description?: string
  /** Keywords from its manifest's `tags`. */
  tags: string[]
  /** Semver tags, highest first. */
  versions: string[]
  latest?: string
  onlyPrerelease?: string
}

export interface SearchResult {
  term: string
  /** Each repository's part of the index and how old it is. */
  repositories: IndexPart[]
  /** No part was synced by this search (each may miss what was pushed elsewhere since: --refresh). */
  fromCache: boolean
  /** The age of the oldest part read. */
  indexAgeSeconds: number
  /** In preference order of the repositories (priority, then name), then by name. */
  matches: SearchMatch[]
}

/**
 * The repositories a search or discover reads: the visible ones (or those named), the
 * implicit one pointed at `namespace` when one is given (`oci search --namespace`).
 */
export function searchedRepositories(
  loaded: LoadedConfig,
  options: {only?: readonly string[]; namespace?: string; onWarning?: (m: string) => void},
): Repository[] {
  const set = declaredRepositories(loaded)
  for (const problem of set.problems) options.onWarning?.(problem)
  const namespace = options.namespace
  if (namespace === undefined) return pickRepositories(set, options.only ?? [])
  const retargeted = (r: Repository): Repository =>
    r.implicit && r.location.kind === 'remote' ? {...r, namespace, url: `oci://${r.location.host}${namespace ? `/${namespace}` : ''}`} : r
  return pickRepositories({...set, visible: set.visible.map(retargeted), all: set.all.map(retargeted)}, options.only ?? [])
}

/**
 * `oci search`: name, description and keywords across the visible repositories, from their
 * per-repository indexes (synced when missing or older than oci.cache.index_ttl_seconds;
 * never with --offline). When no repository could be read at all, the first failure is the error.
 */
export async function searchExtensions(
  options: OciOperationOptions & {term: string; refresh?: boolean; offline?: boolean; namespace?: string; repositories?: string[]},
): Promise<SearchResult> {
  const loaded = await options.config()
  const repositories = searchedRepositories(loaded, {only: options.repositories, namespace: options.namespace, onWarning: options.onWarning})
  // The source's warnings were said with the repositories' problems above.
  return withSession({...options, namespace: undefined, onWarning: undefined, workspaceSource: 'fallback'}, async ({settings, oci}) => {
    const merged = await loadMergedIndex(oci, repositories, {
      ttlSeconds: settings.indexTtlSeconds,
      refresh: options.refresh,
      offline: options.offline,
      concurrency: settings.concurrency,
    })
    if (merged.failures.length > 0 && merged.parts.every((p) => p.missing)) throw merged.failures[0]
    const matches = merged.entries
      .filter(({extension}) => extensionMatches(extension, options.term))
      .map(({repository, extension}): SearchMatch => {
        const shown = describedBy(extension, settings.prereleases)
        const versions = extension.versions.map((v) => v.tag)
        return {
          name: extension.name,
          repository: repository.name,
          path: extension.path,
          ...(shown?.type === undefined ? {} : {type: shown.type}),
          ...(shown?.description === undefined ? {} : {description: shown.description}),
          tags: shown?.keywords ?? [],
          versions,
          ...latestFields(versions, {pre: settings.prereleases}),
        }
      })
    const read = merged.parts.filter((p) => p.ageSeconds !== undefined)
    return {
      term: options.term,
      repositories: merged.parts,
      fromCache: merged.parts.every((p) => !p.refreshed),
      indexAgeSeconds: Math.max(0, ...read.map((p) => p.ageSeconds ?? 0)),
      matches,
    }
  })
}
