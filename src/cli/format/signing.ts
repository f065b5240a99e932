import type {KeyGenerateResult} from '../../lib/oci/ops/key.js'
import type {SignArtifactResult} from '../../lib/oci/ops/sign.js'
import type {VerifyArtifactResult} from '../../lib/oci/ops/verify.js'
import {keyValues} from './table.js'

export function formatKeyGenerate(result: KeyGenerateResult): string {
  return keyValues([
    ['private key', `${result.privateKeyFile} (encrypted, mode 0600: keep it secret)`],
    ['public key', `${result.publicKeyFile} (give it to those who verify)`],
    ['fingerprint', result.fingerprint],
  ])
}

export function formatSign(result: SignArtifactResult): string {
  return keyValues([
    ['signed', `${result.reference}`],
    ['digest', result.digest],
    ['signature', `${result.referrer} (referrer)`],
    ['key', result.keyFingerprint],
  ])
}

export function formatVerify(result: VerifyArtifactResult): string {
  const signers = result.verifiedBy.map((key) => `verified: ${result.digest} signed by ${key.path} (${key.fingerprint})`)
  const others = result.findings.filter((f) => f.status !== 'verified').map((f) => `  also found ${f.referrer}: ${f.status}: ${f.detail}`)
  return [`${result.reference}`, ...signers, ...others].join('\n')
}
