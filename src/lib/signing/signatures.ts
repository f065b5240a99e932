import type {KeyObject} from 'node:crypto'

import type {Descriptor} from '../oci/media-types.js'

/*
 * Signatures as cosign 3 lays them out. A Sigstore
 * bundle v0.3 holding a DSSE envelope over an in-toto Statement v1 whose subject is the signed
 * manifest digest, attached as an OCI 1.1 referrer of that manifest.
 */

export const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'

/** A private key read from an encrypted PEM file, with its public half. */
export interface SigningKey {
  privateKey: KeyObject
  publicKey: KeyObject
  /** `sha256:<hex>` of the public key's SubjectPublicKeyInfo DER. */
  fingerprint: string
}

/** A public key the trust policy accepts signatures from. */
export interface TrustedKey {
  /** Where it was read from (messages name it). */
  path: string
  publicKey: KeyObject
  fingerprint: string
}

/** Why one referrer bundle did or did not verify. */
export type SignatureStatus = 'verified' | 'untrusted-key' | 'bad-signature' | 'wrong-subject' | 'malformed'

export interface SignatureFinding {
  /** Digest of the referrer manifest that carries the bundle. */
  referrer: string
  status: SignatureStatus
  /** Fingerprint of the key that signed, when the bundle names a trusted one or carries a key hint we could match. */
  keyFingerprint?: string
  /** One line for people: what was wrong, e.g. "signed sha256:… (another artifact)". */
  detail: string
}

export interface SignatureReport {
  /** The manifest digest whose signatures were checked. */
  subject: string
  findings: SignatureFinding[]
  /** Fingerprints of trusted keys with a verified signature (sorted, unique). */
  verifiedBy: string[]
}

export interface SignResult {
  /** The referrer manifest pushed (its subject is the signed manifest). */
  referrer: Descriptor
  /** The bundle blob inside it. */
  bundle: Descriptor
  keyFingerprint: string
}

/*
 * The facade other areas call: keys (keys.ts), bundles (bundle.ts, verifier.ts, statement.ts)
 * and their referrers in a store (referrer-bundles.ts).
 */
export {readSigningKey, readTrustedKeys} from './keys.js'
export {signManifest, verifyManifestSignatures} from './referrer-bundles.js'
