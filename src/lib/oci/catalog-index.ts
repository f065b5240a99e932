import {readFile} from 'node:fs/promises'
import path from 'node:path'

import pLimit from 'p-limit'

import {writeFileAtomic} from '../util/atomic-write.js'
import type {OciContext} from './context.js'
import {readArtifact, readExtensionConfig} from './artifact-reader.js'
import {formatLocation, type Location, withTag} from './reference.js'
import {sortTags} from './versions.js'

export interface IndexEntry {
  name: string
  repository: string
  latest?: string
  versions: string[]
  type?: string
  description?: string
  tags: string[]
}

export interface CatalogIndex {
  registry: string
  namespace: string
  built: string
  entries: IndexEntry[]
}

function indexFile(cacheDir: string, location: Location, namespace: string): string {
  const key = formatLocation(location).replace(/[^A-Za-z0-9._-]+/g, '_')
  return path.join(cacheDir, 'index', key, `${namespace.replace(/[^A-Za-z0-9._-]+/g, '_') || '_root'}.json`)
}

/** Repositories of one namespace (all when the namespace is empty). */
export async function namespaceRepositories(oci: OciContext, location: Location, namespace: string): Promise<string[]> {
  const all = await oci.store(location).listRepositories()
  return namespace ? all.filter((r) => r.startsWith(`${namespace}/`)) : all
}

/**
 * The search index of a namespace: built from `_catalog` (or the layout folders), the tags
 * of each repository and the config blob of its newest version; cached for `ttlSeconds`.
 */
export async function loadCatalogIndex(oci: OciContext, location: Location, namespace: string, options: {ttlSeconds: number; refresh?: boolean; concurrency: number}): Promise<CatalogIndex & {fromCache: boolean}> {
  const file = indexFile(oci.settings.cacheDir, location, namespace)
  if (!options.refresh) {
    const cached = await readFile(file, 'utf8').then((t) => JSON.parse(t) as CatalogIndex, () => undefined)
    if (cached && Date.now() - Date.parse(cached.built) < options.ttlSeconds * 1000) return {...cached, fromCache: true}
  }
  const repositories = await namespaceRepositories(oci, location, namespace)
  const limit = pLimit(Math.max(1, options.concurrency))
  const entries = await Promise.all(repositories.map((repository) => limit(async (): Promise<IndexEntry> => {
    const store = oci.store(location)
    const versions = sortTags(await store.listTags(repository)).filter((t) => t.version)
    const name = repository.split('/').pop() ?? repository
    const entry: IndexEntry = {name, repository, versions: versions.map((v) => v.tag), tags: []}
    if (versions.length === 0) return entry
    entry.latest = versions[0].tag
    const artifact = await readArtifact(oci, withTag({location, repository}, versions[0].tag))
    const config = await readExtensionConfig(oci, artifact).catch(() => undefined)
    if (config) {
      entry.type = typeof config.type === 'string' ? config.type : undefined
      entry.description = typeof config.description === 'string' ? config.description : undefined
      entry.tags = Array.isArray(config.tags) ? config.tags.map(String) : []
    }
    return entry
  })))
  const index: CatalogIndex = {registry: formatLocation(location), namespace, built: new Date().toISOString(), entries: entries.sort((a, b) => a.name.localeCompare(b.name))}
  await writeFileAtomic(file, JSON.stringify(index))
  return {...index, fromCache: false}
}

export function matchEntries(entries: IndexEntry[], term: string): IndexEntry[] {
  const needle = term.toLowerCase()
  return entries.filter((e) => e.name.toLowerCase().includes(needle) || (e.description ?? '').toLowerCase().includes(needle) || e.tags.some((t) => t.toLowerCase().includes(needle)))
}
