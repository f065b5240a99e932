import {createHash} from 'node:crypto'
import {mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli, tempDir} from '../helpers/cli.js'
import {bareWorkspace, declare, type ErrorDoc, installedDirs, readLock, type ResolveDoc, writeExtension} from '../helpers/deps.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'
import {generateKeys, type KeyDoc} from '../helpers/signing-keys.js'

const PASSPHRASE = 'trust policy passphrase'

const sha256Of = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  )

/**
 * The trust policy through the built CLI on a real registry (referrers tag schema): alice's key
 * is trusted, bob's is not. redis is signed by alice, memcached by bob, valkey by nobody.
 */
describe('trust policy: oci.verify_signatures + oci.trusted_keys (built CLI, real registry)', () => {
  const {registry, box, env} = useRegistrySandbox()
  const cli = (args: string[], extra: {env?: Record<string, string>; cwd?: string} = {}): Promise<CliResult> =>
    runCli(args, {env: {...env(), ...extra.env}, cwd: extra.cwd ?? box().root})
  let alice: KeyDoc
  let bob: KeyDoc
  const digests: Record<string, string> = {}
  /** verification on, trusting `keys` (PEM public key files), through --set as a user would type it. */
  const trusting = (...keys: KeyDoc[]) => [
    '--set',
    'oci.verify_signatures=true',
    '--set',
    `oci.trusted_keys=${JSON.stringify(keys.map((k) => k.publicKeyFile))}`,
  ]
  const sign = async (reference: string, key: KeyDoc) => {
    const signed = await cli(['oci', 'sign', reference, '--key', key.privateKeyFile], {env: {PROVISIONING_SIGNING_PASSWORD: PASSPHRASE}})
    expect(signed.exitCode, signed.stderr).toBe(0)
  }

  beforeAll(async () => {
    ;[alice, bob] = await generateKeys(cli, ['alice', 'bob'], PASSPHRASE)
    for (const name of ['redis', 'memcached', 'valkey']) {
      const dir = path.join(box().root, 'src', name)
      await writeExtension(dir, {name, version: '1.0.0'}, {[`${name}.txt`]: `${name}\n`})
      const pushed = await cli(['oci', 'push', dir, '--json'])
      expect(pushed.exitCode, pushed.stderr).toBe(0)
      digests[name] = json<{digest: string}>(pushed).digest
    }
    await sign('redis:1.0.0', alice)
    await sign('memcached:1.0.0', bob)
  })

  it('oci pull of an unsigned artifact: exit 8 naming it, "no signatures" and the fix; the output folder is never created', async () => {
    const out = path.join(box().root, 'pulled-valkey')
    const result = await cli(['oci', 'pull', 'valkey:1.0.0', '--output', out, '--json', ...trusting(alice)])
    expect(result.exitCode).toBe(8)
    const {error} = json<ErrorDoc>(result)
    expect(error.code).toBe('E_INTEGRITY')
    expect(error.message).toContain(`provisioning-extensions/valkey:1.0.0@${digests.valkey}`)
    expect(error.message).toContain('no signatures')
    expect(error.hint).toContain('provisioning oci sign')
    expect(error.hint).toContain('oci.trusted_keys')
    expect(await exists(out)).toBe(false)
  })

  it('oci pull of an artifact signed by an untrusted key: exit 8 saying so, nothing written', async () => {
    const out = path.join(box().root, 'pulled-memcached')
    const result = await cli(['oci', 'pull', 'memcached:1.0.0', '--output', out, '--json', ...trusting(alice)])
    expect(result.exitCode).toBe(8)
    const {error} = json<ErrorDoc>(result)
    expect(error.message).toMatch(/1 signature, none valid from a trusted key: untrusted key/)
    expect(error.details).toMatchObject({digest: digests.memcached, trustedKeys: [alice.fingerprint]})
    expect(await exists(out)).toBe(false)
  })

  it('oci pull of a signed artifact installs it; trusting bob instead refuses it', async () => {
    const out = path.join(box().root, 'pulled-redis')
    const result = await cli(['oci', 'pull', 'redis:1.0.0', '--output', out, '--json', ...trusting(alice)])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await readFile(path.join(out, 'redis.txt'), 'utf8')).toBe('redis\n')
    const other = await cli(['oci', 'pull', 'redis:1.0.0', '--output', path.join(box().root, 'pulled-redis-bob'), '--json', ...trusting(bob)])
    expect(other.exitCode).toBe(8)
  })

  it('verification on without trusted keys is a config error (exit 3) naming oci.trusted_keys', async () => {
    const out = path.join(box().root, 'pulled-nokeys')
    const result = await cli(['oci', 'pull', 'redis:1.0.0', '--output', out, '--json', '--set', 'oci.verify_signatures=true'])
    expect(result.exitCode).toBe(3)
    expect(json<ErrorDoc>(result).error.message).toContain('oci.trusted_keys names no trusted public key')
    expect(await exists(out)).toBe(false)
  })

  it('oci copy of an unsigned artifact: exit 8 and the destination has no tag; a signed one is copied', async () => {
    const refused = await cli(['oci', 'copy', 'valkey:1.0.0', 'mirror/valkey:1.0.0', '--json', ...trusting(alice)])
    expect(refused.exitCode).toBe(8)
    const tags = await fetch(`${registry().url}/v2/mirror/valkey/tags/list`)
    expect(tags.status).toBe(404)
    const copied = await cli(['oci', 'copy', 'redis:1.0.0', 'mirror/redis:1.0.0', '--json', ...trusting(alice)])
    expect(copied.exitCode, copied.stderr).toBe(0)
    expect(json<{digest: string}>(copied).digest).toBe(digests.redis)
  })

  it('oci copy into a scope that requires signatures refuses unsigned content even where the source needs none', async () => {
    // A user config with one oci.trust scope (a list of tables: --set takes no tables), in a home of its own.
    const home = path.join(box().root, 'promoting-home')
    await mkdir(home, {recursive: true})
    const scope = `[[oci.trust]]\nscope = "${registry().host}/prod"\nverify_signatures = true\ntrusted_keys = [${JSON.stringify(alice.publicKeyFile)}]\n`
    await writeFile(path.join(home, 'config.user.toml'), scope)
    const promote = (name: string) => cli(['oci', 'copy', `${name}:1.0.0`, `prod/${name}:1.0.0`, '--json'], {env: {PROVISIONING_HOME: home}})
    const refused = await promote('valkey')
    expect(refused.exitCode, refused.stderr).toBe(8)
    expect(json<ErrorDoc>(refused).error.message).toContain('no signatures')
    expect((await fetch(`${registry().url}/v2/prod/valkey/tags/list`)).status).toBe(404)
    const promoted = await promote('redis')
    expect(promoted.exitCode, promoted.stderr).toBe(0)
  })

  describe('dep resolve and module load', () => {
    let ws: string
    const resolve = (args: string[], keys: KeyDoc[] = [alice]) => cli(['dep', 'resolve', '--json', ...args, ...trusting(...keys)], {cwd: ws})

    beforeAll(async () => {
      ws = await bareWorkspace(box().root, 'trusting')
      await declare(ws, {registry: registry().host}, {taskservs: ['redis:1.0.0', 'valkey:1.0.0']})
    })

    it('one unsigned extension: exit 8 naming it, nothing under extensions/, no lockfile', async () => {
      const result = await resolve([])
      expect(result.exitCode).toBe(8)
      expect(json<ErrorDoc>(result).error.message).toContain(`valkey:1.0.0@${digests.valkey}`)
      expect(await installedDirs(ws)).toEqual({})
      expect(await exists(path.join(ws, 'extensions', '.installed.json'))).toBe(false)
      expect(await readLock(ws)).toBeUndefined()
    })

    it('all signed: installs and the lock records each signer; --offline then follows the lock from the verification cache', async () => {
      await sign('valkey:1.0.0', alice)
      const result = await resolve([])
      expect(result.exitCode, result.stderr).toBe(0)
      const doc = json<Omit<ResolveDoc, 'order'> & {order: Array<{signer?: string}>}>(result)
      expect(doc.order.map((e) => e.signer)).toEqual([alice.fingerprint, alice.fingerprint])
      const lock = await readLock(ws)
      expect(lock?.match(new RegExp(`signer: ${alice.fingerprint}`, 'g'))).toHaveLength(2)
      expect(Object.keys(await installedDirs(ws)).sort()).toEqual(['taskservs/redis', 'taskservs/valkey'])

      const offline = await resolve(['--offline'])
      expect(offline.exitCode, offline.stderr).toBe(0)
      expect(json<ResolveDoc>(offline)).toMatchObject({followedLock: true, lockWritten: false})
    })

    it('--offline without a cached verification: exit 8, "run once online"', async () => {
      const cached = path.join(box().home, 'cache', 'oci', 'signatures')
      expect(await exists(cached)).toBe(true)
      await rm(cached, {recursive: true})
      const result = await resolve(['--offline'])
      expect(result.exitCode).toBe(8)
      expect(json<ErrorDoc>(result).error.message).toContain('offline')
      expect(json<ErrorDoc>(result).error.hint).toContain('run once online')
    })

    it('a different trusted signer: --frozen exits 10 (lock out of date); a plain run warns naming both keys and records the new one', async () => {
      await sign('redis:1.0.0', bob)
      await sign('valkey:1.0.0', bob)
      const before = await readLock(ws)
      const frozen = await resolve(['--frozen'], [bob])
      expect(frozen.exitCode).toBe(10)
      expect(json<ErrorDoc>(frozen).error.message).toContain(`not by ${alice.fingerprint} as the lock records`)
      expect(await readLock(ws)).toBe(before)

      const result = await resolve([], [bob])
      expect(result.exitCode, result.stderr).toBe(0)
      const doc = json<ResolveDoc>(result)
      expect(doc.lockWritten).toBe(true)
      expect(doc.warnings.find((w) => w.startsWith('redis@1.0.0'))).toMatch(new RegExp(`signed by ${bob.fingerprint}, not by ${alice.fingerprint}`))
      expect((await readLock(ws))?.match(new RegExp(`signer: ${bob.fingerprint}`, 'g'))).toHaveLength(2)
      // Both keys trusted: the recorded signer (bob) is kept, the lock does not churn.
      const both = await resolve([], [alice, bob])
      expect(json<ResolveDoc>(both)).toMatchObject({lockWritten: false, warnings: []})
    })

    it('module load of an unsigned module: exit 8, the declaration and extensions unchanged', async () => {
      const dir = path.join(box().root, 'src', 'keydb')
      await writeExtension(dir, {name: 'keydb', version: '1.0.0'})
      expect((await cli(['oci', 'push', dir])).exitCode).toBe(0)
      const declaration = await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')
      const result = await cli(['module', 'load', 'taskserv', 'keydb', '--json', ...trusting(alice, bob)], {cwd: ws})
      expect(result.exitCode).toBe(8)
      expect(json<ErrorDoc>(result).error.message).toContain('keydb:1.0.0@')
      expect(await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')).toBe(declaration)
      expect(Object.keys(await installedDirs(ws)).sort()).toEqual(['taskservs/redis', 'taskservs/valkey'])
    })
  })

  it('mode validate enterprise lists a missing and an unparsable trusted key, one requirement each', async () => {
    const garbage = path.join(box().root, 'keys', 'garbage.pem')
    await writeFile(garbage, 'not a key\n')
    const missing = path.join(box().root, 'keys', 'missing.pem')
    const result = await cli([
      'mode',
      'validate',
      'enterprise',
      '--json',
      '--set',
      `oci.trusted_keys=${JSON.stringify([alice.publicKeyFile, garbage, missing])}`,
    ])
    expect(result.exitCode).toBe(10)
    const requirements = json<{error: {details: {requirements: Array<{id: string; met: boolean; actual: string; fix: string}>}}}>(result).error.details
      .requirements
    const keyChecks = requirements.filter((r) => r.id.startsWith('registry.trusted_key'))
    expect(keyChecks.map((r) => [r.id, r.met])).toEqual([
      ['registry.trusted_keys', true],
      [`registry.trusted_key:${alice.publicKeyFile}`, true],
      [`registry.trusted_key:${garbage}`, false],
      [`registry.trusted_key:${missing}`, false],
    ])
    expect(keyChecks[1].actual).toContain(alice.fingerprint)
    expect(keyChecks[3].fix).toContain(missing)
  })
})

interface LayoutIndex {
  manifests: Array<{mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string>}>
}

interface ManifestDoc {
  subject?: {mediaType: string; digest: string; size: number}
  config: {digest: string}
  layers: Array<{mediaType: string; digest: string; size: number}>
  [key: string]: unknown
}

/**
 * Tampering by hand on an OCI layout, as someone with write access to the store would: a
 * referrer is a manifest blob with a `subject`, listed in the repository's index.json.
 */
describe('trust policy on an OCI layout: tampered signatures (built CLI)', () => {
  let root: string
  let keys: KeyDoc
  const digests: Record<string, string> = {}
  const store = () => path.join(root, 'store')
  const repo = (name: string) => path.join(store(), 'provisioning-extensions', name)
  const blob = (name: string, digest: string) => path.join(repo(name), 'blobs', 'sha256', digest.slice(7))
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, {env: {PROVISIONING_HOME: path.join(root, 'home'), PROVISIONING_OCI__REGISTRY: `oci-layout://${store()}`, ...extra}, cwd: root})
  const pullValkey = (out: string) =>
    cli([
      'oci',
      'pull',
      'valkey:1.0.0',
      '--output',
      out,
      '--json',
      '--set',
      'oci.verify_signatures=true',
      '--set',
      `oci.trusted_keys=["${keys.publicKeyFile}"]`,
    ])

  /** Writes `manifest` (and the blobs it names, copied from redis) into valkey's layout as a referrer. */
  const attach = async (manifest: ManifestDoc, extraBlobs: Record<string, Buffer> = {}) => {
    for (const [digest, bytes] of Object.entries(extraBlobs)) await writeFile(blob('valkey', digest), bytes)
    const redisConfig = await readFile(blob('redis', manifest.config.digest))
    await writeFile(blob('valkey', manifest.config.digest), redisConfig)
    const bytes = Buffer.from(JSON.stringify(manifest))
    const digest = sha256Of(bytes)
    await writeFile(blob('valkey', digest), bytes)
    const indexFile = path.join(repo('valkey'), 'index.json')
    const index = JSON.parse(await readFile(indexFile, 'utf8')) as LayoutIndex
    index.manifests.push({mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: bytes.byteLength})
    await writeFile(indexFile, JSON.stringify(index))
    return digest
  }

  beforeAll(async () => {
    const temp = await tempDir()
    root = temp.dir
    const generated = await cli(['oci', 'key', 'generate', '--output', 'keys', '--name', 'alice', '--json'], {PROVISIONING_SIGNING_PASSWORD: PASSPHRASE})
    expect(generated.exitCode, generated.stderr).toBe(0)
    keys = json<KeyDoc>(generated)
    for (const name of ['redis', 'valkey']) {
      const dir = path.join(root, 'src', name)
      await writeExtension(dir, {name, version: '1.0.0'})
      const pushed = await cli(['oci', 'push', dir, '--json'])
      expect(pushed.exitCode, pushed.stderr).toBe(0)
      digests[name] = json<{digest: string}>(pushed).digest
    }
    const signed = await cli(['oci', 'sign', 'redis:1.0.0', '--key', keys.privateKeyFile], {PROVISIONING_SIGNING_PASSWORD: PASSPHRASE})
    expect(signed.exitCode, signed.stderr).toBe(0)
    return temp.cleanup
  })

  it('a valid bundle of another artifact, re-attached to this one: exit 8 "signs another artifact", nothing written', async () => {
    const index = JSON.parse(await readFile(path.join(repo('redis'), 'index.json'), 'utf8')) as LayoutIndex
    const referrer = index.manifests.find((m) => m.artifactType === 'application/vnd.dev.sigstore.bundle.v0.3+json')
    expect(referrer).toBeDefined()
    const manifest = JSON.parse(await readFile(blob('redis', referrer?.digest as string), 'utf8')) as ManifestDoc
    const bundle = await readFile(blob('redis', manifest.layers[0].digest))
    await attach(
      {...manifest, subject: {...(manifest.subject as ManifestDoc['subject'] & object), digest: digests.valkey}},
      {[manifest.layers[0].digest]: bundle},
    )

    const out = path.join(root, 'out-spliced')
    const result = await pullValkey(out)
    expect(result.exitCode).toBe(8)
    expect(json<ErrorDoc>(result).error.message).toContain('signs another artifact')
    expect(await exists(out)).toBe(false)
  })

  it('a bundle edited to name this artifact (signature unchanged): exit 8 "bad signature", nothing written', async () => {
    const index = JSON.parse(await readFile(path.join(repo('redis'), 'index.json'), 'utf8')) as LayoutIndex
    const referrer = index.manifests.find((m) => m.artifactType === 'application/vnd.dev.sigstore.bundle.v0.3+json')
    const manifest = JSON.parse(await readFile(blob('redis', referrer?.digest as string), 'utf8')) as ManifestDoc
    const bundle = JSON.parse(await readFile(blob('redis', manifest.layers[0].digest), 'utf8')) as {dsseEnvelope: {payload: string}}
    const statement = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')
    expect(statement).toContain(digests.redis.slice(7))
    bundle.dsseEnvelope.payload = Buffer.from(statement.replaceAll(digests.redis.slice(7), digests.valkey.slice(7))).toString('base64')
    const edited = Buffer.from(JSON.stringify(bundle))
    const editedDigest = sha256Of(edited)
    await attach(
      {
        ...manifest,
        subject: {...(manifest.subject as ManifestDoc['subject'] & object), digest: digests.valkey},
        layers: [{...manifest.layers[0], digest: editedDigest, size: edited.byteLength}],
      },
      {[editedDigest]: edited},
    )

    const out = path.join(root, 'out-tampered')
    const result = await pullValkey(out)
    expect(result.exitCode).toBe(8)
    const {error} = json<ErrorDoc>(result)
    expect(error.message).toContain('bad signature')
    expect(error.message).toMatch(/2 signatures, none valid/)
    expect(await exists(out)).toBe(false)
  })
})
