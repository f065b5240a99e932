import {IntegrityError, NotFoundError, RegistryError} from '../errors.js'
import {sha256} from '../oci/digest.js'
import {checkDescriptor, parseManifestDocument} from '../oci/manifest-document.js'
import {Annotation, type Descriptor, type ImageManifest, MediaType} from '../oci/media-types.js'
import type {ContentStore} from '../oci/store.js'
import {checkBundle, MAX_BUNDLE_BYTES, signedBundle} from './bundle.js'
import type {BundleCheck} from './verifier.js'
import {type SignatureFinding, type SignatureReport, type SignResult, SIGSTORE_BUNDLE_MEDIA_TYPE, type SigningKey, type TrustedKey} from './signatures.js'
import {SIGN_PREDICATE_TYPE} from './statement.js'

/*
 * Bundles attached as OCI 1.1 referrers, as cosign 3 does (cosign specs/BUNDLE_SPEC.md): an
 * image manifest with the bundle media type as artifactType, the empty config, the bundle as
 * its one layer, the signed manifest as subject, and annotations saying what is inside.
 */

const EMPTY_CONFIG_BYTES = Buffer.from('{}')
const EMPTY_CONFIG: Descriptor = {mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(EMPTY_CONFIG_BYTES), size: EMPTY_CONFIG_BYTES.byteLength}

const BundleAnnotation = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
} as const

/**
 * Referrers checked per manifest: one trusted signature is enough, so a registry listing
 * thousands (or someone attaching junk) costs at most this many fetches.
 */
const MAX_REFERRERS_CHECKED = 100

/**
 * Signs `manifest` (its digest) and attaches the bundle. Each signature is a new referrer:
 * ECDSA signatures differ every time, so signing the same digest twice with the same key
 * leaves two bundles, both valid.
 */
export async function signManifest(
  store: ContentStore,
  repository: string,
  manifest: Descriptor,
  key: SigningKey,
  created: string = new Date().toISOString(),
): Promise<SignResult> {
  const attached = await attachBundle(store, repository, manifest, signedBundle(repository, manifest.digest, key), created)
  return {...attached, keyFingerprint: key.fingerprint}
}

/** Pushes a bundle (its bytes as given), the empty config and the referrer manifest whose subject is `manifest`. */
export async function attachBundle(
  store: ContentStore,
  repository: string,
  manifest: Descriptor,
  bundleBytes: Buffer,
  created: string,
): Promise<Omit<SignResult, 'keyFingerprint'>> {
  const bundleDigest = sha256(bundleBytes)
  const bundle: Descriptor = {
    mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE,
    digest: bundleDigest,
    size: bundleBytes.byteLength,
    annotations: {[Annotation.title]: `${bundleDigest.replace(':', '-')}.sigstore.json`},
  }
  const annotations = {[BundleAnnotation.content]: 'dsse-envelope', [BundleAnnotation.predicateType]: SIGN_PREDICATE_TYPE, [Annotation.created]: created}
  const referrerManifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    artifactType: SIGSTORE_BUNDLE_MEDIA_TYPE,
    config: EMPTY_CONFIG,
    layers: [bundle],
    subject: {mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size},
    annotations,
  }
  const bytes = Buffer.from(JSON.stringify(referrerManifest))
  const referrer: Descriptor = {
    mediaType: MediaType.imageManifest,
    digest: sha256(bytes),
    size: bytes.byteLength,
    artifactType: SIGSTORE_BUNDLE_MEDIA_TYPE,
    annotations,
  }
  await store.pushBlob(repository, bundle, bundleBytes)
  await store.pushBlob(repository, EMPTY_CONFIG, EMPTY_CONFIG_BYTES)
  await store.pushManifest(repository, {descriptor: referrer, bytes})
  return {referrer, bundle}
}

/** The referrers worth fetching: bundles, minus those that say they hold another kind of attestation. */
async function signatureReferrers(store: ContentStore, repository: string, subject: string): Promise<Descriptor[]> {
  if (!store.listReferrers) {
    throw new RegistryError(`cannot list the referrers of ${subject}: this store does not support them`, {
      hint: 'use a registry or an oci-layout:// store',
      details: {subject},
    })
  }
  const referrers = await store.listReferrers(repository, subject, SIGSTORE_BUNDLE_MEDIA_TYPE)
  const predicate = (d: Descriptor) => d.annotations?.[BundleAnnotation.predicateType]
  return referrers.filter((d) => predicate(d) === undefined || predicate(d) === SIGN_PREDICATE_TYPE).slice(0, MAX_REFERRERS_CHECKED)
}

/** The bundle blob a referrer manifest carries, read bounded and verified by the store; a string says why not. */
async function fetchBundle(store: ContentStore, repository: string, referrer: Descriptor, subject: string): Promise<Buffer | string> {
  const where = `referrer ${referrer.digest}`
  const {bytes} = await store.fetchManifest(repository, referrer.digest)
  const document = parseManifestDocument(bytes, where)
  if (document.kind !== 'manifest') return 'an image index, not a bundle manifest'
  const {manifest} = document
  const subjectDigest = manifest.subject === undefined ? undefined : checkDescriptor(manifest.subject, 'subject', where).digest
  if (subjectDigest !== subject) return `its manifest's subject is ${subjectDigest ?? 'missing'}, not ${subject}`
  const layer = manifest.layers.find((d) => d.mediaType === SIGSTORE_BUNDLE_MEDIA_TYPE)
  if (!layer) return 'no layer holds a Sigstore bundle'
  if (layer.size > MAX_BUNDLE_BYTES) return `the bundle is ${layer.size} bytes, more than the ${MAX_BUNDLE_BYTES} allowed`
  return store.fetchBlob(repository, layer)
}

/** A referrer whose content is missing or damaged is a finding, not a failure of the whole check. */
async function checkReferrer(store: ContentStore, repository: string, referrer: Descriptor, subject: string, keys: TrustedKey[]): Promise<BundleCheck> {
  try {
    const bundle = await fetchBundle(store, repository, referrer, subject)
    return typeof bundle === 'string' ? {status: 'malformed', detail: bundle} : checkBundle(bundle, subject, keys)
  } catch (error) {
    if (error instanceof IntegrityError || error instanceof NotFoundError) return {status: 'malformed', detail: error.message}
    throw error
  }
}

/** Fetches the bundles referring to `manifest` and checks each against `keys`. */
export async function verifyManifestSignatures(store: ContentStore, repository: string, manifest: Descriptor, keys: TrustedKey[]): Promise<SignatureReport> {
  const findings: SignatureFinding[] = []
  for (const referrer of await signatureReferrers(store, repository, manifest.digest)) {
    findings.push({referrer: referrer.digest, ...(await checkReferrer(store, repository, referrer, manifest.digest, keys))})
  }
  const verifiedBy = [...new Set(findings.flatMap((f) => (f.status === 'verified' && f.keyFingerprint ? [f.keyFingerprint] : [])))].sort()
  return {subject: manifest.digest, findings, verifiedBy}
}
