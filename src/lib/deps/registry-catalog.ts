import {readFile} from 'node:fs/promises'
import path from 'node:path'

import pLimit from 'p-limit'

import {NotFoundError, RegistryError} from '../errors.js'
import {readArtifact, readExtensionConfig} from '../oci/artifact-reader.js'
import type {OciContext} from '../oci/context.js'
import {formatLocation, formatReference, type Location, type Reference} from '../oci/reference.js'
import {tagVersion} from '../oci/versions.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {artifactLocator} from './artifact-location.js'
import {candidateFromUntrusted} from './candidate.js'
import type {CandidateVersion, Catalog} from './types.js'

/** Where one version of an extension lives, for the lockfile and the install. */
export interface ArtifactRecord {
  candidate: CandidateVersion
  reference: Reference
  digest: string
}

export interface FetchedCatalog extends Catalog {
  record(name: string, version: string): ArtifactRecord | undefined
  /** The repository a name is looked up in (`host/namespace/name`), for messages. */
  repositoryOf(name: string): string
}

interface TagIndex {
  /** tag -> manifest digest, as last seen; version tags are treated as immutable. */
  tags: Record<string, string>
}

function indexFile(cacheDir: string, location: Location, repository: string): string {
  const key = formatLocation(location).replace(/[^A-Za-z0-9._-]+/g, '_')
  return path.join(cacheDir, 'tags', key, `${repository.replace(/\//g, '__')}.json`)
}

async function readIndex(file: string): Promise<TagIndex> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as TagIndex
    return typeof data.tags === 'object' && data.tags !== null ? data : {tags: {}}
  } catch {
    return {tags: {}}
  }
}

export interface RegistryCatalogOptions {
  /** Names the workspace asks for, with an explicit reference where it gave one. */
  roots: Array<{name: string; reference?: Reference}>
  registry: string
  namespace: string
  concurrency: number
  /** Cache only: tags from the last listing, manifests and configs from the blob cache. */
  offline: boolean
}

/**
 * Builds the resolver's catalog from a registry: every extension reachable from the roots
 * through hard dependencies, every semver version of it (tags listed, manifests and config
 * blobs read, never layers). Manifests and configs come from the blob cache by digest and a
 * per-repository tag index, so a warm run only lists tags; offline, it lists nothing.
 */
export async function fetchRegistryCatalog(oci: OciContext, options: RegistryCatalogOptions): Promise<FetchedCatalog> {
  const locate = artifactLocator(options, options.roots, oci.settings.cwd)
  const versions = new Map<string, CandidateVersion[] | undefined>()
  const records = new Map<string, ArtifactRecord>()
  const limit = pLimit(Math.max(1, options.concurrency))

  const fetchName = async (name: string): Promise<string[]> => {
    const {location, repository} = locate(name)
    const store = oci.store(location)
    const file = indexFile(oci.settings.cacheDir, location, repository)
    const index = await readIndex(file)
    let tags: string[]
    if (options.offline) tags = Object.keys(index.tags)
    else {
      try {
        tags = await store.listTags(repository)
      } catch (error) {
        if (error instanceof NotFoundError) {
          versions.set(name, undefined)
          return []
        }
        throw error
      }
    }
    const semverTags = tags.filter((t) => tagVersion(t))
    if (semverTags.length === 0) {
      versions.set(name, options.offline && tags.length === 0 ? offlineMiss(name, location, repository) : undefined)
      return []
    }
    const found = await Promise.all(semverTags.map((tag) => limit(async () => {
      const reference: Reference = {location, repository, tag}
      const digest = index.tags[tag]
      const cachedManifest = digest ? await oci.cache.get({digest}) : undefined
      let artifact
      if (cachedManifest && digest) {
        artifact = await readArtifact(oci, {...reference, digest}, {descriptor: {mediaType: '', digest, size: cachedManifest.byteLength}, bytes: cachedManifest})
      } else if (options.offline) {
        throw new RegistryError(`${formatReference(reference)} is not in the cache and --offline forbids fetching it`, {hint: 'run once without --offline to fill the cache'})
      } else {
        artifact = await readArtifact(oci, reference)
        await oci.cache.put(artifact.manifest.descriptor, artifact.manifest.bytes)
        index.tags[tag] = artifact.manifest.descriptor.digest
      }
      const config = await readExtensionConfig(oci, artifact, options.offline)
      if (!config) {
        throw new RegistryError(`${formatReference(reference)} is not an extension artifact (no extension config)`, {hint: 'extensions are published with "provisioning oci push"'})
      }
      const candidate = await candidateFromUntrusted(config, {name, tag, where: formatReference(reference)}, 'registry')
      records.set(`${name}@${candidate.version}`, {candidate, reference, digest: artifact.manifest.descriptor.digest})
      return candidate
    })))
    if (!options.offline) await writeFileAtomic(file, JSON.stringify(index), {durable: false})
    versions.set(name, found)
    return [...new Set(found.flatMap((c) => Object.keys(c.dependencies)))]
  }

  // Breadth-first over names; each wave is fetched in parallel.
  let wave = [...new Set(options.roots.map((r) => r.name))]
  while (wave.length > 0) {
    const next = (await Promise.all(wave.map((name) => fetchName(name)))).flat()
    wave = [...new Set(next)].filter((name) => !versions.has(name))
  }
  return {
    versions: (name) => versions.get(name),
    record: (name, version) => records.get(`${name}@${version}`),
    repositoryOf: (name) => {
      const {location, repository} = locate(name)
      return `${formatLocation(location)}/${repository}`
    },
  }
}

function offlineMiss(name: string, location: Location, repository: string): never {
  throw new RegistryError(`${name}: no tags of ${formatLocation(location)}/${repository} are cached, and --offline forbids listing them`, {
    hint: 'run once without --offline to fill the cache',
  })
}
