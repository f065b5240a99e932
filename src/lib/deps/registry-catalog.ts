import path from 'node:path'

import pLimit from 'p-limit'

import {IntegrityError, NotFoundError, ProvisioningError, RegistryError} from '../errors.js'
import {readArtifact, readExtensionConfig} from '../artifact/artifact-reader.js'
import type {OciStores} from '../oci/stores.js'
import {formatLocation, formatReference, type Location, type Reference} from '../oci/reference.js'
import {isDigest} from '../oci/digest.js'
import {readUntrusted} from '../util/untrusted-file.js'
import type {ContentStore} from '../oci/store.js'
import {sortTags, tagVersion} from '../oci/versions.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {type ArtifactLocation, artifactLocator, formatPlace, type LocatorInput} from './artifact-location.js'
import type {DeclaredRepositories} from './declaration.js'
import {type Offer, uniteOffers, type UnitedVersion, versionsByRepository} from './repository-union.js'
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
  /** The index file was there: the place was listed once (offline, a missing index is a cache miss). */
  seen: boolean
  /**
   * tag -> manifest digest, as last seen; version tags are treated as immutable, except the
   * locked version's tag of each name, which is resolved again on every online run.
   */
  tags: Record<string, string>
}

function indexFile(cacheDir: string, location: Location, repository: string): string {
  const key = formatLocation(location).replace(/[^A-Za-z0-9._-]+/g, '_')
  return path.join(cacheDir, 'tags', key, `${repository.replace(/\//g, '__')}.json`)
}

/** The tag index is a cache file: read under the untrusted-file rule, only string digests kept. */
async function readIndex(file: string): Promise<TagIndex> {
  const index: TagIndex = {seen: false, tags: Object.create(null) as Record<string, string>}
  const read = await readUntrusted(file, {max: MAX_TAG_INDEX_BYTES})
  if (read.kind !== 'data') return index
  try {
    const data = JSON.parse(read.data.toString('utf8')) as {tags?: unknown}
    if (typeof data?.tags !== 'object' || data.tags === null) return index
    index.seen = true
    for (const [tag, digest] of Object.entries(data.tags)) if (typeof digest === 'string' && isDigest(digest)) index.tags[tag] = digest
  } catch {
    // A damaged index only costs the requests it would have saved.
  }
  return index
}

/**
 * Bounds on what one resolution fetches from registries: every read is capped already, but a
 * hostile catalog could still name endless versions or dependency names. Real catalogs are
 * orders of magnitude below these.
 */
const MAX_VERSIONS_PER_NAME = 1000
const MAX_NAMES = 10_000
const MAX_TAG_INDEX_BYTES = 16 * 1024 * 1024

export interface RegistryCatalogOptions {
  /** Names the workspace asks for, with an explicit reference or a pinned repository where it gave one. */
  roots: LocatorInput['roots']
  registry: string
  namespace: string
  /** The declaration's repositories (SPEC §13); absent: the registry and namespace above only. */
  sources?: DeclaredRepositories
  concurrency: number
  /** Cache only: tags from the last listing, manifests and configs from the blob cache. */
  offline: boolean
  /**
   * name -> locked version: that version's tag is resolved afresh (one HEAD) instead of being
   * taken from the tag index, so a republished version shows as a record with another digest.
   */
  lockedVersions?: ReadonlyMap<string, string>
  /**
   * `dep validate`: a name whose published metadata is refused (exit 8) is reported here and
   * left without versions, so the rest of the graph is still read; without it the run stops.
   */
  onInvalidMetadata?: (name: string, error: IntegrityError) => void
  /**
   * A repository that failed for a name but is less preferred than the one that supplies it
   * (so it could not have been used): dropped, and reported here (dep resolve --json `warnings`).
   */
  onWarning?: (message: string) => void
}

/**
 * Builds the resolver's catalog from registries and layouts: every extension reachable from
 * the roots through hard dependencies, every semver version of it in every place the
 * workspace looks (tags listed, manifests and config blobs read, never layers), united by
 * preference (repository-union.ts). Manifests and configs come from the blob cache by digest
 * and a per-repository tag index, so a warm run only lists tags; offline, it lists nothing.
 */
export async function fetchRegistryCatalog(oci: OciStores, options: RegistryCatalogOptions): Promise<FetchedCatalog> {
  const locate = artifactLocator({source: options, roots: options.roots, sources: options.sources}, oci.settings.cwd)
  const versions = new Map<string, CandidateVersion[] | undefined>()
  const united = new Map<string, Map<string, UnitedVersion<ArtifactRecord>>>()
  const offered = new Map<string, Array<Offer<ArtifactRecord>>>()
  const warnings: Array<{name: string; text: string}> = []
  const limit = pLimit(Math.max(1, options.concurrency))

  /** What one place holds of a name: undefined when the name does not exist there. */
  const fetchPlace = async (name: string, place: ArtifactLocation): Promise<Offer<ArtifactRecord>['found'] | undefined> => {
    const {location, repository} = place
    const store = oci.store(location)
    const file = indexFile(oci.settings.cacheDir, location, repository)
    const index = await readIndex(file)
    let tags: string[]
    if (options.offline) {
      if (!index.seen) offlineMiss(name, location, repository)
      tags = Object.keys(index.tags)
    } else {
      try {
        tags = await store.listTags(repository)
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error
        // Remembered as empty, so --offline knows the name is not there rather than not cached.
        if (options.sources) await writeFileAtomic(file, JSON.stringify({tags: {}}), {durable: false})
        return undefined
      }
    }
    // The newest versions when a repository has more than a resolution looks at; one tag per
    // version (`1.1.0` before `v1.1.0`, as sortTags orders them): records are kept by version,
    // so two artifacts of one version would make the record (reference, digest) depend on
    // which fetch finished last, not on what the resolver chose.
    const semverTags = sortTags(tags)
      .filter((t, i, all) => t.version && t.version !== all[i - 1]?.version)
      .slice(0, MAX_VERSIONS_PER_NAME)
      .map((t) => t.tag)
    if (semverTags.length === 0) return options.offline && tags.length === 0 && !options.sources ? offlineMiss(name, location, repository) : undefined
    if (!options.offline) await refreshLockedTag(store, repository, semverTags, index, options.lockedVersions?.get(name))
    const found = await Promise.all(
      semverTags.map((tag) =>
        limit(async () => {
          const reference: Reference = {location, repository, tag}
          const digest = index.tags[tag]
          const cachedManifest = digest ? await oci.cache.get({digest}) : undefined
          let artifact
          if (cachedManifest && digest) {
            artifact = await readArtifact(
              oci,
              {...reference, digest},
              {descriptor: {mediaType: '', digest, size: cachedManifest.byteLength}, bytes: cachedManifest},
            )
          } else if (options.offline) {
            throw new RegistryError(`${formatReference(reference)} is not in the cache and --offline forbids fetching it`, {
              hint: 'run once without --offline to fill the cache',
            })
          } else {
            artifact = await readArtifact(oci, reference)
            await oci.cache.put(artifact.manifest.descriptor, artifact.manifest.bytes)
            index.tags[tag] = artifact.manifest.descriptor.digest
          }
          const config = await readExtensionConfig(artifact, options.offline)
          if (!config) {
            throw new RegistryError(`${formatReference(reference)} is not an extension artifact (no extension config)`, {
              hint: 'extensions are published with "provisioning oci push"',
            })
          }
          let candidate: CandidateVersion
          try {
            candidate = candidateFromUntrusted(config, {name, tag, where: formatReference(reference)}, 'registry')
          } catch (error) {
            // Refused metadata leaves nothing in the cache: the next run asks the registry again.
            if (error instanceof IntegrityError)
              await Promise.all([oci.cache.remove(artifact.manifest.descriptor), artifact.image.config && oci.cache.remove(artifact.image.config)])
            throw error
          }
          return {candidate, record: {candidate, reference, digest: artifact.manifest.descriptor.digest}}
        }),
      ),
    )
    if (!options.offline) await writeFileAtomic(file, JSON.stringify(index), {durable: false})
    return found
  }

  const fetchName = async (name: string): Promise<string[]> => {
    const places = locate(name)
    // Every place is asked, each failure kept apart: one failing repository must not empty the
    // name (an IntegrityError) nor fail the run (a low-priority repository unreachable).
    const settled = await Promise.allSettled(places.map((place) => fetchPlace(name, place)))
    let results: Array<Offer<ArtifactRecord>['found'] | undefined>
    try {
      results = placeResults(name, places, settled, warnings)
    } catch (error) {
      if (!(error instanceof IntegrityError && options.onInvalidMetadata)) throw error
      options.onInvalidMetadata(name, error)
      versions.set(name, [])
      return []
    }
    if (results.every((r) => r === undefined)) {
      versions.set(name, undefined)
      return []
    }
    // In preference order (the locator's), whatever order the fetches finished in.
    const offers = places.map((place, i) => ({...(place.source ? {source: place.source} : {}), found: results[i] ?? []}))
    const byVersion = uniteOffers(offers)
    offered.set(name, offers)
    united.set(name, byVersion)
    const found = [...byVersion.values()].map((v) => v.candidate)
    versions.set(name, found)
    return [...new Set(found.flatMap((c) => Object.keys(c.dependencies)))]
  }

  // Breadth-first over names; each wave is fetched in parallel.
  let wave = [...new Set(options.roots.map((r) => r.name))]
  while (wave.length > 0) {
    const next = (await Promise.all(wave.map((name) => fetchName(name)))).flat()
    wave = [...new Set(next)].filter((name) => !versions.has(name))
    if (versions.size + wave.length > MAX_NAMES) {
      throw new IntegrityError(`the dependency graph reaches more than ${MAX_NAMES} extensions`, {
        hint: 'a registry whose extensions name this many dependencies is malformed or hostile; nothing was installed',
        details: {names: versions.size + wave.length},
      })
    }
  }
  // Sorted by name (each name's in preference order): the same run warns the same way whichever fetch finished first.
  for (const w of warnings.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) options.onWarning?.(w.text)
  const repositoryOf = (name: string) => locate(name).map(formatPlace).join(', ')
  return {
    versions: (name) => versions.get(name),
    record: (name, version) => united.get(name)?.get(version)?.record,
    repositoryOf,
    whereIs: (name) => ({text: whereText(locate(name)), repository: repositoryOf(name)}),
    ...(options.sources
      ? {
          offers: (name: string) => versionsByRepository(offered.get(name) ?? []),
          alsoIn: (name: string, version: string) => united.get(name)?.get(version)?.alsoIn ?? [],
        }
      : {}),
  }
}

/**
 * What each place gave for a name, failures settled by the per-name rule (repository-union.ts):
 * a place that failed but is less preferred than the one supplying the name could not have
 * been used, so it is dropped with a warning. Any other failure fails the run with its own
 * exit code: a pin's or a root reference's only place, every place failing, none of the
 * places that answered holding the name (the failed one might), and above all a more
 * preferred place failing while a less-preferred one holds the name, since using the latter
 * would silently hand the name to another repository (dependency confusion).
 */
function placeResults(
  name: string,
  places: ArtifactLocation[],
  settled: Array<PromiseSettledResult<Offer<ArtifactRecord>['found'] | undefined>>,
  warnings: Array<{name: string; text: string}>,
): Array<Offer<ArtifactRecord>['found'] | undefined> {
  const firstFailure = settled.findIndex((r) => r.status === 'rejected')
  if (firstFailure === -1) return settled.map((r) => (r as PromiseFulfilledResult<Offer<ArtifactRecord>['found'] | undefined>).value)
  const supplier = settled.findIndex((r) => r.status === 'fulfilled' && r.value !== undefined && r.value.length > 0)
  const failure = (settled[firstFailure] as PromiseRejectedResult).reason as unknown
  if (supplier === -1 || firstFailure < supplier) {
    if (supplier === -1 || !(failure instanceof ProvisioningError)) throw failure
    const failed = places[firstFailure].source ?? formatPlace(places[firstFailure])
    const holder = places[supplier].source ?? formatPlace(places[supplier])
    const message = `${name}: repository ${failed} could not be read, and it is preferred to ${holder}, which holds ${name}: ${failure.message}`
    const context = {
      hint: `${name} is not taken from ${holder} while a more preferred repository cannot say whether it holds ${name} (that would let a less-preferred repository take the name over); fix ${failed} or remove it from dependencies.extensions.repositories, or pin ${name} to a repository. ${failure.hint ?? ''}`.trim(),
      details: {...failure.details, name, failedRepository: failed, holder},
      cause: failure,
    }
    // Same exit code; still an IntegrityError for dep validate's onInvalidMetadata.
    throw failure instanceof IntegrityError ? new IntegrityError(message, context) : new ProvisioningError(failure.code, message, context)
  }
  const supplierName = places[supplier].source ?? formatPlace(places[supplier])
  return settled.map((r, i) => {
    if (r.status === 'fulfilled') return r.value
    const reason = r.reason as unknown
    const message = reason instanceof Error ? reason.message : String(reason)
    warnings.push({
      name,
      text: `${name}: repository ${places[i].source ?? formatPlace(places[i])} could not be read (${message}); ignored it, since ${supplierName} is preferred and supplies ${name}`,
    })
    return undefined
  })
}

/** `the registry (looked for host/ns/x)`, or with repositories `repository internal (looked for …)`. */
function whereText(places: ArtifactLocation[]): string {
  const named = places.filter((p) => p.source)
  if (named.length === 0) return `the registry (looked for ${places.map(formatPlace).join(', ')})`
  const label = named.length === 1 ? `repository ${named[0].source}` : `repositories ${named.map((p) => p.source).join(', ')}`
  return `${label} (looked for ${named.map(formatPlace).join(', ')})`
}

/**
 * The locked version's tag may have been republished since the index saw it: resolved again
 * (a HEAD), the index entry follows the registry, and the content comes from the blob cache
 * by that digest or from the registry.
 * A tag the index does not hold yet needs nothing: it is read from the registry anyway.
 */
async function refreshLockedTag(
  store: ContentStore,
  repository: string,
  semverTags: string[],
  index: TagIndex,
  lockedVersion: string | undefined,
): Promise<void> {
  const tag = lockedVersion === undefined ? undefined : semverTags.find((t) => tagVersion(t) === lockedVersion)
  if (tag === undefined || index.tags[tag] === undefined) return
  index.tags[tag] = (await store.resolve(repository, tag)).digest
}

function offlineMiss(name: string, location: Location, repository: string): never {
  throw new RegistryError(`${name}: no tags of ${formatLocation(location)}/${repository} are cached, and --offline forbids listing them`, {
    hint: 'run once without --offline to fill the cache',
  })
}
