import {execFileSync} from 'node:child_process'
import {generateKeyPairSync, sign, verify} from 'node:crypto'
import {readdir, readFile, stat, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ConfigError, UsageError} from '../../../src/lib/errors.js'
import {fingerprintOf, generateKeyPair, MAX_KEY_FILE_BYTES} from '../../../src/lib/signing/keys.js'
import {readSigningKey, readTrustedKeys} from '../../../src/lib/signing/signatures.js'
import {tempDir} from '../../helpers/cli.js'

const PASSPHRASE = 'correct horse battery staple'
const passphrase = async () => PASSPHRASE

describe('signing keys', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({dir, cleanup} = await tempDir())
  })
  afterEach(() => cleanup())

  it('generates an encrypted P-256 key pair (0600 private key) that reads back with the same fingerprint and signs', async () => {
    const pair = await generateKeyPair(dir, 'release', PASSPHRASE)
    expect(pair.privateKeyFile).toBe(path.join(dir, 'release.key'))
    expect(pair.publicKeyFile).toBe(path.join(dir, 'release.pub'))
    expect(pair.fingerprint).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect((await stat(pair.privateKeyFile)).mode & 0o777).toBe(0o600)
    const pem = await readFile(pair.privateKeyFile, 'utf8')
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/)
    expect(pem).not.toContain(PASSPHRASE)
    expect(await readdir(dir)).toEqual(['release.key', 'release.pub'])

    let asked = 0
    const key = await readSigningKey(pair.privateKeyFile, async () => {
      asked++
      return PASSPHRASE
    })
    expect(asked).toBe(1)
    expect(key.fingerprint).toBe(pair.fingerprint)
    const [trusted] = await readTrustedKeys([pair.publicKeyFile])
    expect(trusted).toMatchObject({path: pair.publicKeyFile, fingerprint: pair.fingerprint})
    const message = Buffer.from('hello')
    expect(verify('sha256', message, trusted.publicKey, sign('sha256', message, key.privateKey))).toBe(true)
    // openssl reads what we wrote: the fingerprint is the SHA-256 of the SPKI DER.
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', pair.publicKeyFile, '-outform', 'DER'])
    expect(fingerprintOf(trusted.publicKey)).toBe(`sha256:${execFileSync('openssl', ['dgst', '-sha256', '-r'], {input: der}).toString().split(' ')[0]}`)
  })

  it('refuses to overwrite an existing key pair unless forced, and a bad name or empty passphrase writes nothing', async () => {
    const first = await generateKeyPair(dir, 'release', PASSPHRASE)
    const before = await readFile(first.privateKeyFile)
    await expect(generateKeyPair(dir, 'release', PASSPHRASE)).rejects.toThrow(UsageError)
    await expect(generateKeyPair(dir, 'release', PASSPHRASE)).rejects.toThrow(/release\.key and .*release\.pub already exist/)
    expect(await readFile(first.privateKeyFile)).toEqual(before)
    const second = await generateKeyPair(dir, 'release', PASSPHRASE, true)
    expect(second.fingerprint).not.toBe(first.fingerprint)
    await expect(generateKeyPair(dir, '../escape', PASSPHRASE)).rejects.toThrow(/invalid key name/)
    await expect(generateKeyPair(dir, 'other', '')).rejects.toThrow(/empty passphrase/)
    expect((await readdir(dir)).sort()).toEqual(['release.key', 'release.pub'])
  })

  it('a wrong passphrase is a configuration error (exit 3) that does not echo the passphrase', async () => {
    const pair = await generateKeyPair(dir, 'release', PASSPHRASE)
    const error = await readSigningKey(pair.privateKeyFile, async () => 'wrong guess').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error).toMatchObject({exit: 3, message: expect.stringContaining('wrong passphrase') as string})
    expect(JSON.stringify({...(error as ConfigError), message: (error as Error).message})).not.toContain('wrong guess')
  })

  it('refuses keys that are not ECDSA P-256, naming the file', async () => {
    const rsa = generateKeyPairSync('rsa', {modulusLength: 2048})
    const p384 = generateKeyPairSync('ec', {namedCurve: 'secp384r1'})
    const rsaPub = path.join(dir, 'rsa.pub')
    const p384Key = path.join(dir, 'p384.key')
    await writeFile(rsaPub, rsa.publicKey.export({type: 'spki', format: 'pem'}))
    await writeFile(p384Key, p384.privateKey.export({type: 'pkcs8', format: 'pem'}))
    await expect(readTrustedKeys([rsaPub])).rejects.toThrow(`${rsaPub} is not an ECDSA P-256 key (it is rsa)`)
    await expect(readSigningKey(p384Key, passphrase)).rejects.toThrow(`${p384Key} is not an ECDSA P-256 key (it is ec secp384r1)`)
  })

  it('refuses what is not a public key PEM: garbage, a private key, a missing file', async () => {
    const garbage = path.join(dir, 'garbage.pub')
    await writeFile(garbage, 'not a key\n')
    await expect(readTrustedKeys([garbage])).rejects.toThrow(`trusted key ${garbage} is not a PEM key we can read`)
    const pair = await generateKeyPair(dir, 'release', PASSPHRASE)
    const plain = path.join(dir, 'plain.key')
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    await writeFile(plain, privateKey.export({type: 'pkcs8', format: 'pem'}))
    await expect(readTrustedKeys([plain])).rejects.toThrow('is a private key')
    await expect(readTrustedKeys([pair.privateKeyFile])).rejects.toThrow(ConfigError)
    await expect(readTrustedKeys([path.join(dir, 'absent.pub')])).rejects.toThrow(ConfigError)
    await expect(readSigningKey(path.join(dir, 'absent.key'), passphrase)).rejects.toThrow(/signing key .*absent\.key does not exist/)
  })

  it('an unencrypted private key is read without asking for a passphrase', async () => {
    const plain = path.join(dir, 'plain.key')
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    await writeFile(plain, privateKey.export({type: 'pkcs8', format: 'pem'}))
    const key = await readSigningKey(plain, () => Promise.reject(new Error('asked')))
    expect(key.fingerprint).toMatch(/^sha256:/)
  })

  it('refuses an oversize key file, a FIFO and a link without hanging or reading them', async () => {
    const pair = await generateKeyPair(dir, 'release', PASSPHRASE)
    const big = path.join(dir, 'big.pub')
    await writeFile(big, Buffer.alloc(MAX_KEY_FILE_BYTES + 1, 'A'))
    await expect(readTrustedKeys([big])).rejects.toThrow(/more than the 65536 allowed/)
    const fifo = path.join(dir, 'fifo.pub')
    execFileSync('mkfifo', [fifo])
    await expect(readTrustedKeys([fifo])).rejects.toThrow(/a FIFO/)
    await expect(readSigningKey(fifo, passphrase)).rejects.toThrow(/a FIFO/)
    const link = path.join(dir, 'link.pub')
    await symlink(pair.publicKeyFile, link)
    await expect(readTrustedKeys([link])).rejects.toThrow(/symbolic link/)
  })

  it('dedupes trusted keys by fingerprint (the first path names the key)', async () => {
    const a = await generateKeyPair(dir, 'a', PASSPHRASE)
    const b = await generateKeyPair(dir, 'b', PASSPHRASE)
    const copy = path.join(dir, 'copy-of-a.pub')
    await writeFile(copy, await readFile(a.publicKeyFile))
    const keys = await readTrustedKeys([a.publicKeyFile, copy, b.publicKeyFile])
    expect(keys.map((k) => [k.path, k.fingerprint])).toEqual([
      [a.publicKeyFile, a.fingerprint],
      [b.publicKeyFile, b.fingerprint],
    ])
  })
})
