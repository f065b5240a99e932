// The trust policy applied where content enters a workspace (oci pull, oci copy, dep resolve,
// module load): before anything is fetched past the manifest or written.
import type {LoadedConfig} from '../config/loader.js'
import {ConfigError, IntegrityError} from '../errors.js'
import type {Descriptor} from '../oci/media-types.js'
import type {Location} from '../oci/reference.js'
import type {ContentStore} from '../oci/store.js'
import type {SignatureFinding, SignatureStatus, TrustedKey} from './signatures.js'
import {type ArtifactPolicy, policyFor, type TrustSettings, trustSettingsFrom, verifiesAnywhere} from './trust-policy.js'
import {VerificationCache} from './verification-cache.js'

export interface TrustResult {
  /** Fingerprint of the trusted key whose signature was verified; absent when the policy does not verify. */
  signer?: string
}

/** A manifest known by its digest alone (a lock pins it): its descriptor is read only when the registry must be asked. */
export interface PinnedManifest {
  digest: string
  descriptor(): Promise<Descriptor>
}

export interface EnforceOptions {
  /** The artifact as people name it (messages): `host/ns/name:tag`. */
  reference: string
  offline?: boolean
  cache: VerificationCache
  keys: KeyRing
  /** The signer recorded before (the lock's): taken when it still signs, so the record stays stable. */
  preferredSigner?: string
}

/** Trusted keys read once per run per list of files (a run checks many artifacts against one list). */
class KeyRing {
  private readonly loaded = new Map<string, Promise<TrustedKey[]>>()

  load(files: string[]): Promise<TrustedKey[]> {
    const id = JSON.stringify(files)
    let keys = this.loaded.get(id)
    if (!keys) {
      // keys.js alone: a run whose results are all cached never loads the bundle verifier.
      keys = import('./keys.js').then(({readTrustedKeys}) => readTrustedKeys(files))
      this.loaded.set(id, keys)
    }
    return keys
  }
}

/**
 * Refuses `manifest` (exit 8) unless a trusted key of `policy` signed it; returns that key's
 * fingerprint. Off: nothing is read or asked. On: a cached positive result is enough (no
 * request); offline without one, or a registry without a valid signature, is a refusal that
 * says what was found and how to fix it.
 */
async function enforceTrust(
  policy: ArtifactPolicy,
  store: ContentStore,
  repository: string,
  manifest: Descriptor | PinnedManifest,
  options: EnforceOptions,
): Promise<TrustResult> {
  if (!policy.verify) return {}
  const artifact = options.reference.includes('@') ? options.reference : `${options.reference}@${manifest.digest}`
  if (policy.keyFiles.length === 0) {
    throw new ConfigError(`cannot verify ${artifact}: signature verification is on, but ${policy.keysSetting} names no trusted public key`, {
      hint: `add the public key (PEM) of whoever signs your extensions to ${policy.keysSetting}, or turn verification off where it does not apply`,
      details: {reference: artifact, key: policy.keysSetting, ...(policy.scope ? {scope: policy.scope} : {})},
    })
  }
  const keys = await options.keys.load(policy.keyFiles)
  const trusted = new Set(keys.map((k) => k.fingerprint))
  const ordered = [...trusted].sort((a, b) => Number(b === options.preferredSigner) - Number(a === options.preferredSigner))
  for (const fingerprint of ordered) if (await options.cache.has(manifest.digest, fingerprint)) return {signer: fingerprint}
  if (options.offline) {
    throw new IntegrityError(`cannot verify the signature of ${artifact} offline: it was never verified with a trusted key on this machine`, {
      hint: 'run once online (without --offline) to verify its signature and cache the result',
      details: {reference: artifact, digest: manifest.digest, trustedKeys: [...trusted]},
    })
  }
  const {verifyManifestSignatures} = await import('./signatures.js')
  const descriptor = 'descriptor' in manifest ? await manifest.descriptor() : manifest
  const report = await verifyManifestSignatures(store, repository, descriptor, keys)
  const verified = report.findings.filter((f) => f.status === 'verified' && f.keyFingerprint !== undefined && trusted.has(f.keyFingerprint))
  if (verified.length === 0) throw refusal(artifact, manifest.digest, report.findings, policy, [...trusted])
  for (const f of verified) await options.cache.record({subject: manifest.digest, key: f.keyFingerprint as string, referrer: f.referrer})
  const signers = [...new Set(verified.map((f) => f.keyFingerprint as string))].sort()
  return {signer: options.preferredSigner && signers.includes(options.preferredSigner) ? options.preferredSigner : signers[0]}
}

const LABEL: Record<SignatureStatus, string> = {
  verified: 'verified',
  'untrusted-key': 'untrusted key',
  'bad-signature': 'bad signature',
  'wrong-subject': 'signs another artifact',
  malformed: 'malformed bundle',
}

function describeFinding(f: SignatureFinding): string {
  return `${LABEL[f.status]}${f.keyFingerprint ? ` ${f.keyFingerprint}` : ''}: ${f.detail} (referrer ${f.referrer})`
}

function refusal(artifact: string, digest: string, findings: SignatureFinding[], policy: ArtifactPolicy, trusted: string[]): IntegrityError {
  const found =
    findings.length === 0
      ? 'it has no signatures'
      : `it has ${findings.length} signature${findings.length === 1 ? '' : 's'}, none valid from a trusted key: ${findings.map(describeFinding).join('; ')}`
  const reference = artifact.slice(0, artifact.lastIndexOf('@'))
  return new IntegrityError(`refusing ${artifact}: ${found}`, {
    hint: `sign it with "provisioning oci sign ${reference} --key KEY.pem" using a key whose public half is in ${policy.keysSetting}, or, if you trust whoever signed it, add their public key to ${policy.keysSetting}; nothing was written`,
    details: {
      reference: artifact,
      digest,
      findings: findings.map(({referrer, status, keyFingerprint, detail}) => ({referrer, status, ...(keyFingerprint ? {keyFingerprint} : {}), detail})),
      trustedKeys: trusted,
      keysSetting: policy.keysSetting,
      ...(policy.scope ? {scope: policy.scope} : {}),
    },
  })
}

/** The trust policy of a run: one key ring and one cache for every artifact it checks. */
export class TrustGate {
  /** False when no scope verifies: callers skip every check (no file read, no request). */
  readonly active: boolean
  private readonly keys = new KeyRing()
  private readonly cache: VerificationCache

  constructor(
    readonly settings: TrustSettings,
    ociCacheDir: string,
    private readonly offline = false,
  ) {
    this.active = verifiesAnywhere(settings)
    this.cache = new VerificationCache(ociCacheDir)
  }

  /** The gate of a run's config; `ociCacheDir` is the OCI settings' cacheDir (the results live beside the blobs). */
  static fromConfig(config: LoadedConfig, ociCacheDir: string, offline = false): TrustGate {
    return new TrustGate(trustSettingsFrom(config), ociCacheDir, offline)
  }

  policyFor(location: Location, repository: string): ArtifactPolicy {
    return policyFor(this.settings, location, repository)
  }

  /**
   * enforceTrust for the artifact `reference` at `location`/`repository`, under the policy of
   * that place, or of `policyAt` (where a copy puts it: a verified destination's policy applies
   * to what is promoted into it).
   */
  check(
    target: {location: Location; repository: string; reference: string},
    store: ContentStore,
    manifest: Descriptor | PinnedManifest,
    preferredSigner?: string,
    policyAt: {location: Location; repository: string} = target,
  ): Promise<TrustResult> {
    if (!this.active) return Promise.resolve({})
    return enforceTrust(this.policyFor(policyAt.location, policyAt.repository), store, target.repository, manifest, {
      reference: target.reference,
      offline: this.offline,
      cache: this.cache,
      keys: this.keys,
      ...(preferredSigner ? {preferredSigner} : {}),
    })
  }
}
