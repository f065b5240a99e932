import {IntegrityError, NotFoundError, RegistryError} from '../errors.js'
import type {OciStores} from '../oci/stores.js'
import {assertDocumentSize} from '../oci/limits.js'
import {parseManifestDocument} from '../oci/manifest-document.js'
import {type Descriptor, type ImageManifest, isIndex, MediaType} from '../oci/media-types.js'
import {formatReference, type Reference, withTag} from '../oci/reference.js'
import type {CachingStore} from '../oci/caching-store.js'
import type {ManifestContent} from '../oci/store.js'
import {latestVersion} from '../oci/versions.js'

export interface ResolvedArtifact {
  ref: Reference
  /** Reads its blobs through the blob cache. */
  store: CachingStore
  manifest: ManifestContent
  image: ImageManifest
}

const LAYER_TYPES = new Set<string>([MediaType.layerTarGzip, MediaType.dockerLayerTarGzip])

/**
 * Without a tag or digest, the latest version is meant (versions.ts: the highest stable
 * semver tag; pre-releases only with oci.settings.prereleases, i.e. `--pre`).
 */
export async function withDefaultTag(oci: OciStores, ref: Reference): Promise<Reference> {
  if (ref.tag || ref.digest) return ref
  const store = oci.store(ref.location)
  const {latest, prereleaseOnly} = latestVersion(await store.listTags(ref.repository), {pre: oci.settings.prereleases})
  if (latest) return withTag(ref, latest.tag)
  const where = formatReference(ref)
  if (prereleaseOnly) {
    throw new NotFoundError(`${where} has only pre-release versions (newest: ${prereleaseOnly.tag}), and latest means the latest stable version`, {
      hint: `pass --pre to take the newest pre-release, or name it: ${where}:${prereleaseOnly.tag}`,
      details: {reference: where, prerelease: prereleaseOnly.tag},
    })
  }
  throw new NotFoundError(`${where} has no semver tags`, {hint: 'name a version explicitly (NAME:VERSION)', details: {reference: where}})
}

/**
 * Resolves a reference to a verified image manifest (an index is followed to its first
 * manifest). `known` is a manifest the caller already holds (from the blob cache).
 */
export async function readArtifact(oci: OciStores, reference: Reference, known?: ManifestContent): Promise<ResolvedArtifact> {
  const ref = known ? reference : await withDefaultTag(oci, reference)
  const store = oci.cachedStore(ref.location)
  const where = formatReference(ref)
  let manifest = known ?? (await store.fetchManifest(ref.repository, ref.digest ?? (ref.tag as string)))
  let parsed = parseManifestDocument(manifest.bytes, where, isIndex(manifest.descriptor.mediaType))
  // An index is followed one level, to its first manifest (checked as a descriptor by
  // parseManifestDocument: a digest, never a tag, so it cannot lead back to itself); an
  // index of indexes is not an extension.
  if (parsed.kind === 'index') {
    const [first] = parsed.index.manifests
    if (!first) throw new NotFoundError(`${where} is an empty index`, {hint: 'the artifact holds no manifest'})
    assertDocumentSize(first, `${where}: the manifest ${first.digest}`)
    manifest = await store.fetchManifest(ref.repository, first.digest)
    parsed = parseManifestDocument(manifest.bytes, where, isIndex(manifest.descriptor.mediaType))
    if (parsed.kind === 'index') {
      throw new NotFoundError(`${where} is an index whose first entry is another index: not an extension artifact`, {
        hint: 'extensions are pushed with "provisioning oci push DIR"',
        details: {reference: where},
      })
    }
  }
  return {ref, store, manifest, image: parsed.manifest}
}

/** The single tar+gzip layer of an extension artifact (ours or made by other tools). */
export function extensionLayer(artifact: ResolvedArtifact): Descriptor {
  // Ours or another tool's, an extension says so in its artifactType or its config type;
  // a container image with one layer is not an extension and is not unpacked.
  if (artifact.image.artifactType !== MediaType.extensionArtifact && artifact.image.config?.mediaType !== MediaType.extensionConfig) {
    throw new NotFoundError(
      `${formatReference(artifact.ref)} is not an extension artifact (artifact type ${artifact.image.artifactType ?? 'none'}, config ${artifact.image.config?.mediaType ?? 'none'})`,
      {
        hint: `extensions carry artifactType ${MediaType.extensionArtifact}; push them with "provisioning oci push DIR"`,
        details: {artifactType: artifact.image.artifactType, config: artifact.image.config?.mediaType},
      },
    )
  }
  const layers = (artifact.image.layers ?? []).filter((l) => LAYER_TYPES.has(l.mediaType))
  if (layers.length !== 1) {
    throw new NotFoundError(`${formatReference(artifact.ref)} is not an extension artifact: expected one tar+gzip layer, found ${layers.length}`, {
      hint: 'extensions are pushed with "provisioning oci push DIR"',
      details: {layers: artifact.image.layers?.map((l) => l.mediaType)},
    })
  }
  return layers[0]
}

/** The extension manifest from the config blob (fetched through the cache), when the config is ours. */
export async function readExtensionConfig(artifact: ResolvedArtifact, cacheOnly = false): Promise<Record<string, unknown> | undefined> {
  const config = artifact.image.config
  if (!config || config.mediaType !== MediaType.extensionConfig) return undefined
  // Configs are held whole and parsed: a descriptor promising more than a document may weigh is refused unread.
  assertDocumentSize(config, `the config blob of ${formatReference(artifact.ref)}`)
  const {data} = await artifact.store.readWhole(artifact.ref.repository, config, {
    cacheOnly: cacheOnly
      ? () =>
          new RegistryError(`the config of ${formatReference(artifact.ref)} is not in the cache, and --offline forbids fetching it`, {
            hint: 'run once without --offline to fill the cache',
          })
      : undefined,
  })
  try {
    return JSON.parse(data.toString('utf8')) as Record<string, unknown>
  } catch {
    throw new IntegrityError(`${formatReference(artifact.ref)}: the config blob is not valid JSON`, {hint: 're-push the artifact'})
  }
}
