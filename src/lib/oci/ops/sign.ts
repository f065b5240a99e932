import path from 'node:path'

import {UsageError} from '../../errors.js'
import {readSigningKey, signManifest} from '../../signing/signatures.js'
import type {Descriptor} from '../media-types.js'
import {formatReference, type Reference} from '../reference.js'
import type {ContentStore} from '../store.js'
import type {OciStores} from '../stores.js'
import {assertWritable} from './read-only-guard.js'
import {type OciOperationOptions, withSession} from './session.js'
import {signatureCreatedAt} from './signature-time.js'

export interface SignArtifactResult {
  /** The reference as given (canonical form). */
  reference: string
  /** The manifest digest that was signed (a tag is resolved first: the signature names the digest). */
  digest: string
  /** The referrer manifest carrying the bundle. */
  referrer: string
  bundle: string
  keyFingerprint: string
}

export interface SignedSubject {
  ref: Reference
  store: ContentStore
  manifest: Descriptor
}

/** The manifest a reference names, resolved to its digest in its store (signatures name digests, never tags). */
export async function resolveSubject(oci: OciStores, reference: string, command: string): Promise<SignedSubject> {
  const ref = oci.parse(reference)
  const target = ref.digest ?? ref.tag
  if (!target) {
    throw new UsageError(`${reference} names no tag or digest`, {
      hint: `name the version: oci ${command} NAME:VERSION (or NAME@sha256:…)`,
      details: {reference},
    })
  }
  const store = oci.store(ref.location)
  // The manifest itself, not the digest a HEAD answer claims: its bytes are hashed here, so
  // what is signed (or verified) is the digest of the content this command looked at.
  const {descriptor} = await store.fetchManifest(ref.repository, target)
  return {ref, store, manifest: descriptor}
}

/**
 * `oci sign REF --key FILE`: the key is read (and decrypted) before anything is sent, then the
 * manifest's digest is signed and the bundle pushed as its referrer, in the same repository.
 */
export async function signArtifact(
  options: OciOperationOptions & {reference: string; keyFile: string; passphrase: () => Promise<string>},
): Promise<SignArtifactResult> {
  const key = await readSigningKey(path.resolve(options.keyFile), options.passphrase)
  return withSession({...options, workspaceSource: 'required'}, async ({oci}) => {
    const {ref, store, manifest} = await resolveSubject(oci, options.reference, 'sign')
    // A signature is pushed into the artifact's repository (a referrer manifest and blobs).
    await assertWritable(options.config, ref, 'sign')
    const signed = await signManifest(store, ref.repository, manifest, key, signatureCreatedAt((await options.config()).env))
    return {
      reference: formatReference(ref),
      digest: manifest.digest,
      referrer: signed.referrer.digest,
      bundle: signed.bundle.digest,
      keyFingerprint: signed.keyFingerprint,
    }
  })
}
