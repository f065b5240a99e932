import {sign} from 'node:crypto'

import {type Bundle, bundleFromJSON, bundleToJSON, isBundleWithDsseEnvelope, toDSSEBundle} from '@sigstore/bundle'
import {dsse} from '@sigstore/core'

import {keyHintOf} from './keys.js'
import type {SigningKey, TrustedKey} from './signatures.js'
import {IN_TOTO_PAYLOAD_TYPE, MalformedStatement, parseStatement, SIGN_PREDICATE_TYPE, statementFor} from './statement.js'
import {type BundleCheck, verifyBundleSignature} from './verifier.js'

/** A bundle is a few KiB (a certificate chain and log entries at most); more is not one. */
export const MAX_BUNDLE_BYTES = 1024 * 1024

/**
 * The Sigstore bundle (v0.3 JSON) signing `repository`'s manifest `digest`: a DSSE envelope
 * over the in-toto statement, signed (ECDSA-SHA256, ASN.1 DER) over the DSSE pre-authentication
 * encoding, with the key named by its hint. Checked with the library's own reader before it
 * leaves, so we never publish a bundle other tools would refuse.
 */
export function signedBundle(repository: string, digest: string, key: SigningKey): Buffer {
  const statement = statementFor(repository, digest)
  const signature = sign('sha256', dsse.preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, statement), key.privateKey)
  const json = bundleToJSON(toDSSEBundle({artifact: statement, artifactType: IN_TOTO_PAYLOAD_TYPE, signature, keyHint: keyHintOf(key.publicKey)}))
  bundleFromJSON(json)
  return Buffer.from(JSON.stringify(json))
}

const malformed = (detail: string): BundleCheck => ({status: 'malformed', detail})

function parseBundle(bytes: Buffer): Bundle | string {
  let document: unknown
  try {
    document = JSON.parse(bytes.toString('utf8'))
  } catch {
    return 'the bundle is not JSON'
  }
  try {
    return bundleFromJSON(document)
  } catch (error) {
    return `not a Sigstore bundle (${error instanceof Error ? error.message : String(error)})`
  }
}

/**
 * Checks one bundle's bytes: a signature by a trusted key over an in-toto statement whose
 * subject is `digest`. The statement is read only after its signature verified.
 */
export function checkBundle(bytes: Buffer, digest: string, keys: TrustedKey[]): BundleCheck {
  const bundle = parseBundle(bytes)
  if (typeof bundle === 'string') return malformed(bundle)
  if (!isBundleWithDsseEnvelope(bundle)) return malformed('the bundle holds a message signature, not a DSSE envelope over a statement')
  const signer = verifyBundleSignature(bundle, keys)
  if (!signer.verified) return signer.check
  const {payload, payloadType} = bundle.content.dsseEnvelope
  const keyFingerprint = signer.key.fingerprint
  try {
    const statement = parseStatement(payloadType, payload)
    if (statement.predicateType !== SIGN_PREDICATE_TYPE) {
      return {status: 'malformed', keyFingerprint, detail: `an attestation of type ${statement.predicateType}, not a signature`}
    }
    if (!statement.subjects.some((subject) => subject.digest === digest)) {
      return {status: 'wrong-subject', keyFingerprint, detail: `signed ${statement.subjects.map((s) => s.digest).join(', ')} (another artifact)`}
    }
  } catch (error) {
    if (error instanceof MalformedStatement) return {status: 'malformed', keyFingerprint, detail: error.message}
    throw error
  }
  return {status: 'verified', keyFingerprint, detail: `signed by ${signer.key.path}`}
}
