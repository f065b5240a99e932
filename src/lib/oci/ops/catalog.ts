import pLimit from 'p-limit'

import {type IndexEntry, loadCatalogIndex, matchEntries, namespaceRepositories} from '../catalog-index.js'
import {formatLocation, parseLocation} from '../reference.js'
import {sortTags} from '../versions.js'
import {type OciOperationOptions, withSession} from './session.js'

export interface ListResult {
  registry: string
  namespace: string
  extensions: Array<{name: string; repository: string; latest?: string; versions: number}>
}

/** `oci list`: the repositories of a namespace with their newest version. */
export async function listExtensions(options: OciOperationOptions & {namespace?: string}): Promise<ListResult> {
  return withSession(options, async ({settings, oci}) => {
    const location = parseLocation(settings.registry, settings.cwd)
    const namespace = options.namespace ?? settings.namespace
    const repositories = await namespaceRepositories(oci, location, namespace)
    const limit = pLimit(Math.max(1, settings.concurrency))
    const extensions = await Promise.all(repositories.map((repository) => limit(async () => {
      const versions = sortTags(await oci.store(location).listTags(repository)).filter((t) => t.version)
      return {name: repository.split('/').pop() ?? repository, repository, latest: versions[0]?.tag, versions: versions.length}
    })))
    return {registry: formatLocation(location), namespace, extensions: extensions.sort((a, b) => a.name.localeCompare(b.name))}
  })
}

export interface SearchResult {
  registry: string
  namespace: string
  term: string
  indexBuilt: string
  fromCache: boolean
  matches: IndexEntry[]
}

/** `oci search`: name, description and tags, from the cached catalog index. */
export async function searchExtensions(options: OciOperationOptions & {term: string; refresh?: boolean; namespace?: string}): Promise<SearchResult> {
  return withSession(options, async ({settings, oci}) => {
    const location = parseLocation(settings.registry, settings.cwd)
    const namespace = options.namespace ?? settings.namespace
    const index = await loadCatalogIndex(oci, location, namespace, {ttlSeconds: settings.indexTtlSeconds, refresh: options.refresh, concurrency: settings.concurrency})
    return {registry: index.registry, namespace, term: options.term, indexBuilt: index.built, fromCache: index.fromCache, matches: matchEntries(index.entries, options.term)}
  })
}
