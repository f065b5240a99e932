import path from 'node:path'

import type {LoadedConfig} from '../../config/loader.js'
import {ConfigError, IntegrityError} from '../../errors.js'
import {readTrustedKeys, type SignatureFinding, type TrustedKey, verifyManifestSignatures} from '../../signing/signatures.js'
import {formatReference, type Location} from '../reference.js'
import {type OciOperationOptions, withSession} from './session.js'
import {resolveSubject} from './sign.js'

export interface VerifyArtifactResult {
  reference: string
  digest: string
  /** Trusted keys with a verified signature (sorted by fingerprint). */
  verifiedBy: Array<{fingerprint: string; path: string}>
  findings: SignatureFinding[]
}

/**
 * The trusted keys: `--key` files (relative to the working folder) when given, else those the
 * trust policy names for this artifact (`oci.trusted_keys`, or its `oci.trust` scope), read as
 * `oci pull` and `dep resolve` read them, so `oci verify` and enforcement never disagree.
 */
async function trustedKeys(loaded: LoadedConfig, keyFiles: string[], location: Location, repository: string): Promise<TrustedKey[]> {
  const {policyFor, trustSettingsFrom} = await import('../../signing/trust-policy.js')
  const policy = keyFiles.length > 0 ? undefined : policyFor(trustSettingsFrom(loaded), location, repository)
  const files = policy ? policy.keyFiles : keyFiles.map((file) => path.resolve(loaded.cwd, file))
  if (files.length === 0) {
    throw new ConfigError('no trusted keys to verify signatures with', {
      hint: "pass the signer's public key with --key FILE (repeatable), or list it in oci.trusted_keys",
    })
  }
  return readTrustedKeys(files)
}

function notVerified(reference: string, digest: string, findings: SignatureFinding[]): IntegrityError {
  const lines = findings.map((f) => `  ${f.referrer}: ${f.status}: ${f.detail}`)
  const message =
    findings.length === 0
      ? `${reference} (${digest}) is not signed`
      : `${reference} (${digest}) has no valid signature from a trusted key (${findings.length} checked):\n${lines.join('\n')}`
  return new IntegrityError(message, {
    hint:
      findings.length === 0
        ? 'sign it with `provisioning oci sign REF --key KEY`, or ask its publisher to'
        : 'if the signer is one you trust, add their public key (--key or oci.trusted_keys); otherwise do not use this artifact',
    details: {reference, digest, findings},
  })
}

/**
 * `oci verify REF [--key FILE…]`: the signatures attached to the manifest REF resolves to,
 * each checked offline against the trusted keys. No valid one from a trusted key: exit 8,
 * with the findings in the error's details.
 */
export async function verifyArtifact(options: OciOperationOptions & {reference: string; keyFiles: string[]}): Promise<VerifyArtifactResult> {
  const loaded = await options.config()
  return withSession({...options, workspaceSource: 'fallback'}, async ({oci}) => {
    const {ref, store, manifest} = await resolveSubject(oci, options.reference, 'verify')
    const keys = await trustedKeys(loaded, options.keyFiles, ref.location, ref.repository)
    const report = await verifyManifestSignatures(store, ref.repository, manifest, keys)
    const reference = formatReference(ref)
    if (report.verifiedBy.length === 0) throw notVerified(reference, manifest.digest, report.findings)
    const pathOf = new Map(keys.map((key) => [key.fingerprint, key.path]))
    return {
      reference,
      digest: manifest.digest,
      verifiedBy: report.verifiedBy.map((fingerprint) => ({fingerprint, path: pathOf.get(fingerprint) ?? ''})),
      findings: report.findings,
    }
  })
}
