import path from 'node:path'

import type {LoadedConfig} from '../../config/loader.js'
import {UsageError, ValidationError} from '../../errors.js'
import type {SigningKey} from '../../signing/signatures.js'
import type {Descriptor} from '../media-types.js'
import type {ContentStore} from '../store.js'

/** What the command asked for: `--sign`, `--key FILE`, and how to get the key's passphrase. */
export interface PushSigningRequest {
  sign?: boolean
  keyFile?: string
  passphrase?: () => Promise<string>
}

export interface PushSignature {
  /** The referrer carrying the bundle (an existing one when this key had signed the digest already). */
  referrer: string
  keyFingerprint: string
  /** The digest already carried a valid signature by this key: nothing was pushed for it. */
  existing: boolean
}

/**
 * The key a push signs with, read and decrypted before anything is sent; undefined when the
 * push is not signed. `--sign` (or `oci.require_signed_push`, which the cicd mode sets) signs
 * with `--key`, else `oci.signing_key`. A required signature without a key stops the push.
 */
export async function pushSigningKey(config: LoadedConfig, request: PushSigningRequest, cwd: string): Promise<SigningKey | undefined> {
  const {trustSettingsFrom} = await import('../../signing/trust-policy.js')
  const settings = trustSettingsFrom(config)
  if (!request.sign && !settings.requireSignedPush) {
    if (request.keyFile) throw new UsageError('--key signs only with --sign', {hint: 'add --sign, or drop --key'})
    return undefined
  }
  const keyFile = request.keyFile ? path.resolve(cwd, request.keyFile) : settings.signingKey
  if (!keyFile) {
    const why = request.sign ? '--sign needs a private key' : 'this configuration requires signed pushes (oci.require_signed_push, set by the cicd mode)'
    throw new (request.sign ? UsageError : ValidationError)(`${why}, and none is given`, {
      hint: 'pass --key FILE (made by "provisioning oci key generate"), or set oci.signing_key to its path',
    })
  }
  if (!request.passphrase)
    throw new UsageError('no way to ask for the signing key passphrase', {hint: 'pass --password-stdin or set PROVISIONING_SIGNING_PASSWORD'})
  const {readSigningKey} = await import('../../signing/keys.js')
  return readSigningKey(keyFile, request.passphrase)
}

/**
 * Signs a pushed manifest unless this key's valid signature is already attached (pushing the
 * same content again stays a no-op, signatures included).
 */
export async function signPushed(store: ContentStore, repository: string, manifest: Descriptor, key: SigningKey, created: string): Promise<PushSignature> {
  const {signManifest, verifyManifestSignatures} = await import('../../signing/signatures.js')
  const trusted = [{path: 'the signing key', publicKey: key.publicKey, fingerprint: key.fingerprint}]
  const report = await verifyManifestSignatures(store, repository, manifest, trusted)
  const mine = report.findings.find((f) => f.status === 'verified' && f.keyFingerprint === key.fingerprint)
  if (mine) return {referrer: mine.referrer, keyFingerprint: key.fingerprint, existing: true}
  const signed = await signManifest(store, repository, manifest, key, created)
  return {referrer: signed.referrer.digest, keyFingerprint: signed.keyFingerprint, existing: false}
}
