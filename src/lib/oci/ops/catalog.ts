import pLimit from 'p-limit'

import {type IndexEntry, loadCatalogIndex, matchEntries, namespaceRepositories} from '../../artifact/catalog-index.js'
import {formatLocation, parseLocation} from '../reference.js'
import {latestFields, sortTags} from '../versions.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface ListResult {
  registry: string
  namespace: string
  extensions: Array<{name: string; repository: string; latest?: string; onlyPrerelease?: string; versions: number}>
}

/** `oci list`: the repositories of a namespace with their latest version (stable unless `--pre`). */
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

export interface SearchResult {
  registry: string
  namespace: string
  term: string
  indexBuilt: string
  fromCache: boolean
  /** How old the index is; a cached one may miss what was pushed elsewhere (`--refresh`). */
  indexAgeSeconds: number
  matches: Array<IndexEntry & {latest?: string; onlyPrerelease?: string}>
}

/** `oci search`: name, description and tags, from the cached catalog index. */
export async function searchExtensions(options: OciOperationOptions & {term: string; refresh?: boolean; namespace?: string}): Promise<SearchResult> {
  return withSession({...options, workspaceSource: 'fallback'}, async ({settings, oci}) => {
    const location = parseLocation(settings.registry, settings.cwd)
    const namespace = options.namespace ?? settings.namespace
    const index = await loadCatalogIndex(oci, location, namespace, {
      ttlSeconds: settings.indexTtlSeconds,
      refresh: options.refresh,
      concurrency: settings.concurrency,
    })
    const matches = matchEntries(index.entries, options.term).map((entry) => ({...entry, ...latestFields(entry.versions, {pre: settings.prereleases})}))
    const indexAgeSeconds = Math.max(0, Math.round((Date.now() - Date.parse(index.built)) / 1000))
    return {registry: index.registry, namespace, term: options.term, indexBuilt: index.built, fromCache: index.fromCache, indexAgeSeconds, matches}
  })
}
