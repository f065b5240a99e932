import {createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject} from 'node:crypto'
import {lstat} from 'node:fs/promises'
import path from 'node:path'

import {ConfigError, UsageError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {readUntrusted} from '../util/untrusted-file.js'
import type {SigningKey, TrustedKey} from './signatures.js'

/** A PEM key is a few hundred bytes; anything near this is not a key. */
export const MAX_KEY_FILE_BYTES = 64 * 1024

/** The curve of every key we make and accept (what cosign generates: ECDSA P-256). */
const CURVE = 'prime256v1'

/** The cipher the private key PEM is encrypted with (PKCS#8, PBES2). */
const PRIVATE_KEY_CIPHER = 'aes-256-cbc'

const PASSPHRASE_HINT = 'give the passphrase with --password-stdin or PROVISIONING_SIGNING_PASSWORD'

function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({type: 'spki', format: 'der'})
}

/** `sha256:<hex>` of the public key's SubjectPublicKeyInfo DER: how messages and lockfiles name a key. */
export function fingerprintOf(publicKey: KeyObject): string {
  return `sha256:${createHash('sha256').update(spkiDer(publicKey)).digest('hex')}`
}

/**
 * The bundle's `publicKey.hint`: what sigstore-go (and so cosign) puts there for a key pair,
 * the base64 SHA-256 of the SPKI DER. Only a hint: verification never trusts it alone.
 */
export function keyHintOf(publicKey: KeyObject): string {
  return createHash('sha256').update(spkiDer(publicKey)).digest('base64')
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve
  return curve ? `${key.asymmetricKeyType} ${curve}` : String(key.asymmetricKeyType)
}

function assertP256(key: KeyObject, file: string): void {
  if (!isP256(key)) {
    throw new ConfigError(`${file} is not an ECDSA P-256 key (it is ${describeKey(key)})`, {
      hint: 'make a key pair with `provisioning oci key generate` (or `openssl ecparam -name prime256v1 -genkey`)',
      details: {file, keyType: describeKey(key)},
    })
  }
}

/** The file's text, read under the untrusted-file rule (no links, FIFOs or devices; at most 64 KiB). */
async function readKeyFile(file: string, what: string): Promise<string> {
  const read = await readUntrusted(file, {max: MAX_KEY_FILE_BYTES})
  if (read.kind === 'missing') {
    // A configuration problem (exit 3), as the trust policy's other key problems are.
    throw new ConfigError(`${what} ${file} does not exist`, {hint: 'check the path (--key, or oci.trusted_keys for trusted keys)', details: {file}})
  }
  if (read.kind === 'unusable') {
    throw new ConfigError(`${what} ${file} cannot be used: ${read.reason}`, {
      hint: 'point to a regular PEM file of at most 64 KiB (links are not followed)',
      details: {file, reason: read.reason},
    })
  }
  return read.data.toString('utf8')
}

function unparsable(file: string, what: string, cause: unknown): ConfigError {
  return new ConfigError(`${what} ${file} is not a PEM key we can read`, {
    hint: 'a public key is a PEM "PUBLIC KEY" (SPKI) block, a private key a PEM "ENCRYPTED PRIVATE KEY" (PKCS#8)',
    details: {file},
    cause,
  })
}

const isEncrypted = (pem: string) => pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')

/** Reads a PEM private key; the passphrase is asked for only when the key is encrypted. */
export async function readSigningKey(file: string, passphrase: () => Promise<string>): Promise<SigningKey> {
  const pem = await readKeyFile(file, 'signing key')
  const encrypted = isEncrypted(pem)
  const passphraseText = encrypted ? await passphrase() : undefined
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({key: pem, format: 'pem', ...(encrypted ? {passphrase: passphraseText} : {})})
  } catch (error) {
    if (encrypted) {
      throw new ConfigError(`cannot decrypt the signing key ${file}: wrong passphrase (or a damaged key file)`, {hint: PASSPHRASE_HINT, details: {file}})
    }
    throw unparsable(file, 'signing key', error)
  }
  assertP256(privateKey, file)
  const publicKey = createPublicKey(privateKey)
  return {privateKey, publicKey, fingerprint: fingerprintOf(publicKey)}
}

async function readTrustedKey(file: string): Promise<TrustedKey> {
  const pem = await readKeyFile(file, 'trusted key')
  let publicKey: KeyObject
  try {
    publicKey = createPublicKey({key: pem, format: 'pem'})
  } catch (error) {
    throw unparsable(file, 'trusted key', error)
  }
  // A private key PEM parses as a public key too; a trust list holds public keys only.
  if (pem.includes('PRIVATE KEY-----')) {
    throw new ConfigError(`trusted key ${file} is a private key`, {hint: 'list the public half (.pub) in oci.trusted_keys or --key', details: {file}})
  }
  assertP256(publicKey, file)
  return {path: file, publicKey, fingerprint: fingerprintOf(publicKey)}
}

/** Reads PEM public keys (bounded, untrusted files), deduplicated by fingerprint (the first path names it). */
export async function readTrustedKeys(files: string[]): Promise<TrustedKey[]> {
  const keys = new Map<string, TrustedKey>()
  for (const file of files) {
    const key = await readTrustedKey(file)
    if (!keys.has(key.fingerprint)) keys.set(key.fingerprint, key)
  }
  return [...keys.values()]
}

export interface GeneratedKeyPair {
  privateKeyFile: string
  publicKeyFile: string
  fingerprint: string
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

async function exists(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined)) !== undefined
}

/**
 * Makes an ECDSA P-256 key pair: `<name>.key` (encrypted PKCS#8 PEM, 0600) and `<name>.pub`
 * (SPKI PEM) in `dir`. Existing files are kept unless `force`. The private key is written
 * first and each file atomically, so an interruption leaves no half key (at worst a
 * private key without its .pub, which the refusal to overwrite then names).
 */
export async function generateKeyPair(dir: string, name: string, passphrase: string, force = false): Promise<GeneratedKeyPair> {
  if (passphrase.length === 0) {
    throw new UsageError('an empty passphrase would leave the private key unprotected', {hint: PASSPHRASE_HINT})
  }
  if (!KEY_NAME.test(name)) {
    throw new UsageError(`invalid key name ${JSON.stringify(name)}`, {hint: 'a key name is letters, digits, ".", "_" and "-" (e.g. release)', details: {name}})
  }
  const privateKeyFile = path.resolve(dir, `${name}.key`)
  const publicKeyFile = path.resolve(dir, `${name}.pub`)
  if (!force) {
    const found = []
    for (const file of [privateKeyFile, publicKeyFile]) if (await exists(file)) found.push(file)
    if (found.length > 0) {
      throw new UsageError(`${found.join(' and ')} already exist${found.length === 1 ? 's' : ''}`, {
        hint: 'choose another --name or --output, or pass --force to replace the key pair (signatures made with the old key will no longer verify with the new one)',
        details: {existing: found},
      })
    }
  }
  const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: CURVE})
  const privatePem = privateKey.export({type: 'pkcs8', format: 'pem', cipher: PRIVATE_KEY_CIPHER, passphrase})
  const publicPem = publicKey.export({type: 'spki', format: 'pem'})
  await writeFileAtomic(privateKeyFile, privatePem, {mode: 0o600})
  await writeFileAtomic(publicKeyFile, publicPem, {mode: 0o644})
  return {privateKeyFile, publicKeyFile, fingerprint: fingerprintOf(publicKey)}
}
