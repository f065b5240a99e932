import type {Bundle} from '@sigstore/bundle'
import {toSignedEntity, toTrustMaterial, Verifier} from '@sigstore/verify'

import {keyHintOf} from './keys.js'
import type {SignatureStatus, TrustedKey} from './signatures.js'

/** What one bundle's check found (a SignatureFinding without its referrer). */
export interface BundleCheck {
  status: SignatureStatus
  keyFingerprint?: string
  detail: string
}

export type SignerCheck = {verified: true; key: TrustedKey} | {verified: false; check: BundleCheck}

/**
 * Offline and keyed: no certificate authorities, logs or timestamp authorities are trusted,
 * and none are required. Keyless verification (a Fulcio certificate, Rekor inclusion and
 * SCTs) would pass a real trusted root here with thresholds of 1; until then a certificate
 * bundle is reported as not verifiable rather than accepted.
 */
const NO_TRUSTED_ROOT = {mediaType: '', certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: []}
const OFFLINE = {tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0}

function verifiesWith(bundle: Bundle, key: TrustedKey): boolean {
  const material = toTrustMaterial(NO_TRUSTED_ROOT, () => ({publicKey: key.publicKey, validFor: () => true}))
  // Log entries and timestamps (cosign adds a Rekor entry by default) cannot be checked
  // without the log's key, which an offline keyed verifier does not have: they are left
  // out rather than failing a signature that the trusted key itself vouches for.
  const entity = {...toSignedEntity(bundle), tlogEntries: [], timestamps: []}
  try {
    new Verifier(material, OFFLINE).verify(entity)
    return true
  } catch {
    return false
  }
}

/**
 * Which trusted key signed the bundle. The key hint picks the key to try first; others are
 * tried too, since a hint is only a hint (tools other than sigstore-go may put anything there).
 */
export function verifyBundleSignature(bundle: Bundle, keys: TrustedKey[]): SignerCheck {
  const material = bundle.verificationMaterial.content
  if (material.$case !== 'publicKey') {
    return {verified: false, check: {status: 'untrusted-key', detail: 'a keyless signature (certificate): only keyed signatures are verified, offline'}}
  }
  const {hint} = material.publicKey
  const named = keys.find((key) => keyHintOf(key.publicKey) === hint)
  const candidates = named ? [named, ...keys.filter((key) => key !== named)] : keys
  const signer = candidates.find((key) => verifiesWith(bundle, key))
  if (signer) return {verified: true, key: signer}
  if (named) {
    return {
      verified: false,
      check: {status: 'bad-signature', keyFingerprint: named.fingerprint, detail: `names ${named.path} but its signature does not verify (tampered)`},
    }
  }
  return {verified: false, check: {status: 'untrusted-key', detail: `signed by a key that is not trusted${hint ? ` (key hint ${hint})` : ''}`}}
}
