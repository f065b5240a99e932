import {readFile, readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {writeExtension} from '../helpers/deps.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'
import {skopeo, skopeoCopy, skopeoInspectRaw, skopeoListTags} from '../helpers/skopeo.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'
import {generateKeys, type KeyDoc} from '../helpers/signing-keys.js'

const PASSPHRASE = 'e2e signing passphrase'

interface SignDoc {
  reference: string
  digest: string
  referrer: string
  bundle: string
  keyFingerprint: string
}

interface Finding {
  referrer: string
  status: string
  keyFingerprint?: string
  detail: string
}

interface VerifyDoc {
  reference: string
  digest: string
  verifiedBy: Array<{fingerprint: string; path: string}>
  findings: Finding[]
}

interface ErrorDoc {
  error: {code: string; message: string; exit: number; hint?: string; details: {digest?: string; findings?: Finding[]}}
}

/** Where the artifacts live: a registry or an OCI layout, as `oci.registry` names it. */
interface Backend {
  env: () => Record<string, string>
  box: () => Sandbox
}

/**
 * generate → push → sign → verify through the built CLI, the same on a registry and a layout;
 * the blocks below add what each store should look like from outside (skopeo).
 */
function signingFlow(backend: Backend): {keys: () => {alice: KeyDoc; bob: KeyDoc}; digests: () => Record<string, string>} {
  const cli = (args: string[], extra: {env?: Record<string, string>; input?: string} = {}): Promise<CliResult> =>
    runCli(args, {env: {...backend.env(), ...extra.env}, cwd: backend.box().root, input: extra.input})
  let alice: KeyDoc
  let bob: KeyDoc
  const digests: Record<string, string> = {}

  beforeAll(async () => {
    const {root} = backend.box()
    ;[alice, bob] = await generateKeys(cli, ['alice', 'bob'], PASSPHRASE)
    for (const version of ['1.0.0', '2.0.0']) {
      const dir = path.join(root, `redis-${version}`)
      await writeExtension(dir, {name: 'redis', version}, {VERSION: `${version}\n`})
      const pushed = await cli(['oci', 'push', dir, '--json'])
      expect(pushed.exitCode, pushed.stderr).toBe(0)
      digests[version] = json<{digest: string}>(pushed).digest
    }
  })

  it('generated keys: encrypted private key 0600 in --output, public key, fingerprint; the passphrase is printed nowhere', async () => {
    expect(alice.privateKeyFile).toBe(path.join(backend.box().root, 'keys', 'alice.key'))
    expect((await stat(alice.privateKeyFile)).mode & 0o777).toBe(0o600)
    expect(await readFile(alice.privateKeyFile, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/)
    expect(await readFile(alice.publicKeyFile, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
    expect(alice.fingerprint).toMatch(/^sha256:[a-f0-9]{64}$/)
    expect(alice.fingerprint).not.toBe(bob.fingerprint)
  })

  it('an unsigned artifact does not verify: exit 8, "not signed", with a hint', async () => {
    const result = await cli(['oci', 'verify', 'redis:2.0.0', '--key', alice.publicKeyFile, '--json'])
    expect(result.exitCode).toBe(8)
    const {error} = json<ErrorDoc>(result)
    expect(error).toMatchObject({code: 'E_INTEGRITY', exit: 8, details: {digest: digests['2.0.0'], findings: []}})
    expect(error.message).toContain(`(${digests['2.0.0']}) is not signed`)
    expect(error.hint).toContain('oci sign')
  })

  it('signs the digest the tag points to (passphrase from stdin), and verify names the signer', async () => {
    const signed = await cli(['oci', 'sign', 'redis:1.0.0', '--key', 'keys/alice.key', '--password-stdin', '--json'], {input: `${PASSPHRASE}\n`})
    expect(signed.exitCode, signed.stderr).toBe(0)
    const doc = json<SignDoc>(signed)
    expect(doc).toMatchObject({digest: digests['1.0.0'], keyFingerprint: alice.fingerprint})
    expect(doc.reference).toMatch(/provisioning-extensions\/redis:1\.0\.0$/)
    expect(signed.stdout + signed.stderr).not.toContain(PASSPHRASE)

    const verified = await cli(['oci', 'verify', 'redis:1.0.0', '--key', alice.publicKeyFile, '--key', bob.publicKeyFile, '--json'])
    expect(verified.exitCode, verified.stderr).toBe(0)
    expect(json<VerifyDoc>(verified)).toEqual({
      reference: doc.reference,
      digest: digests['1.0.0'],
      verifiedBy: [{fingerprint: alice.fingerprint, path: alice.publicKeyFile}],
      findings: [{referrer: doc.referrer, status: 'verified', keyFingerprint: alice.fingerprint, detail: `signed by ${alice.publicKeyFile}`}],
    })
    const text = await cli(['oci', 'verify', `redis@${digests['1.0.0']}`, '--key', 'keys/alice.pub'])
    expect(text.exitCode, text.stderr).toBe(0)
    expect(text.stdout).toContain(`verified: ${digests['1.0.0']} signed by ${alice.publicKeyFile} (${alice.fingerprint})`)
  })

  it("another key's public half does not verify it (exit 8, untrusted-key), nor does 1.0.0's signature cover 2.0.0", async () => {
    const result = await cli(['oci', 'verify', 'redis:1.0.0', '--key', bob.publicKeyFile, '--json'])
    expect(result.exitCode).toBe(8)
    const {error} = json<ErrorDoc>(result)
    expect(error.details.findings).toEqual([expect.objectContaining({status: 'untrusted-key'})])
    expect(error.message).toContain('has no valid signature from a trusted key (1 checked)')
    expect(error.message).toContain('untrusted-key: signed by a key that is not trusted')
    const other = await cli(['oci', 'verify', 'redis:2.0.0', '--key', alice.publicKeyFile, '--json'])
    expect(other.exitCode).toBe(8)
    expect(json<ErrorDoc>(other).error.details.findings).toEqual([])
  })

  it('refusals: wrong passphrase (exit 3), no passphrase without a TTY (exit 2), no trusted key (exit 3), no tag (exit 2); nothing signed', async () => {
    const wrong = await cli(['oci', 'sign', 'redis:2.0.0', '--key', alice.privateKeyFile, '--password-stdin', '--json'], {input: 'not it'})
    expect(wrong.exitCode).toBe(3)
    expect(json<ErrorDoc>(wrong).error.message).toContain('wrong passphrase')
    expect(wrong.stdout + wrong.stderr).not.toContain('not it')
    const none = await cli(['oci', 'sign', 'redis:2.0.0', '--key', alice.privateKeyFile])
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toContain('PROVISIONING_SIGNING_PASSWORD')
    const noKeys = await cli(['oci', 'verify', 'redis:2.0.0', '--json'])
    expect(noKeys.exitCode).toBe(3)
    expect(json<ErrorDoc>(noKeys).error.hint).toContain('--key')
    const noTag = await cli(['oci', 'sign', 'redis', '--key', alice.privateKeyFile], {env: {PROVISIONING_SIGNING_PASSWORD: PASSPHRASE}})
    expect(noTag.exitCode).toBe(2)
    const missing = await cli(['oci', 'sign', 'redis:9.9.9', '--key', alice.privateKeyFile], {env: {PROVISIONING_SIGNING_PASSWORD: PASSPHRASE}})
    expect(missing.exitCode).toBe(4)
    const still = await cli(['oci', 'verify', 'redis:2.0.0', '--key', alice.publicKeyFile, '--json'])
    expect(json<ErrorDoc>(still).error.details.findings).toEqual([])
  })

  it('generate refuses to overwrite a key pair (exit 2, files unchanged) unless --force', async () => {
    const env = {PROVISIONING_SIGNING_PASSWORD: PASSPHRASE}
    const generate = (extra: string[] = []) => cli(['oci', 'key', 'generate', '--output', 'keys', '--name', 'carol', '--json', ...extra], {env})
    const first = json<KeyDoc>(await generate())
    const before = await readFile(first.privateKeyFile)
    const again = await generate()
    expect(again.exitCode).toBe(2)
    expect(json<ErrorDoc>(again).error.message).toContain('already exist')
    expect(await readFile(first.privateKeyFile)).toEqual(before)
    const forced = await generate(['--force'])
    expect(forced.exitCode, forced.stderr).toBe(0)
    expect(json<KeyDoc>(forced).fingerprint).not.toBe(first.fingerprint)
  })

  return {keys: () => ({alice, bob}), digests: () => digests}
}

describe('oci sign / verify on an OCI layout (built CLI)', () => {
  let box: Sandbox
  beforeAll(async () => {
    box = await sandbox()
    return () => box.cleanup()
  })
  const store = () => path.join(box.root, 'store')
  const flow = signingFlow({box: () => box, env: () => ({...box.env, PROVISIONING_OCI__REGISTRY: `oci-layout://${store()}`})})

  it('the layout lists the signature for its subject, and skopeo still copies the signed artifact out of it', async () => {
    const repo = path.join(store(), 'provisioning-extensions', 'redis')
    const index = JSON.parse(await readFile(path.join(repo, 'index.json'), 'utf8')) as {manifests: Array<{digest: string; artifactType?: string}>}
    expect(index.manifests.filter((m) => m.artifactType === 'application/vnd.dev.sigstore.bundle.v0.3+json')).toHaveLength(1)
    const out = path.join(box.root, 'skopeo-copy')
    await skopeoCopy(`oci:${repo}:1.0.0`, `oci:${out}:1.0.0`)
    expect(await readdir(path.join(out, 'blobs', 'sha256'))).toContain(flow.digests()['1.0.0'].slice(7))
  })

  it('PROVISIONING_SIGNING_PASSWORD is a secret, not a config value: config show does not carry it', async () => {
    const shown = await runCli(['config', 'show', '--json'], {env: {...box.env, PROVISIONING_SIGNING_PASSWORD: PASSPHRASE}, cwd: box.root})
    expect(shown.exitCode, shown.stderr).toBe(0)
    expect(shown.stdout).not.toContain(PASSPHRASE)
    expect(shown.stdout).not.toContain('signing_password')
  })
})

describe('oci sign / verify on a real registry (referrers tag schema), read with skopeo', () => {
  const {registry, box, env} = useRegistrySandbox()
  const flow = signingFlow({box, env})

  it('skopeo inspects and copies the signed artifact; the referrers tag sha256-<hex> lists the bundle', async () => {
    const repo = `docker://${registry().host}/provisioning-extensions/redis`
    const digest = flow.digests()['1.0.0']
    expect(JSON.parse(await skopeoInspectRaw(`${repo}:1.0.0`))).toMatchObject({mediaType: 'application/vnd.oci.image.manifest.v1+json'})
    const tag = digest.replace(':', '-')
    expect(await skopeoListTags(repo)).toContain(tag)
    const index = JSON.parse(await skopeoInspectRaw(`${repo}:${tag}`)) as {manifests: Array<{artifactType?: string}>}
    expect(index.manifests).toEqual([expect.objectContaining({artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json'})])
    const out = path.join(box().root, 'from-registry')
    await skopeoCopy(`${repo}:1.0.0`, `oci:${out}:1.0.0`, {src: {tlsVerify: false}})
    expect(await skopeo(['inspect', '--raw', `oci:${out}:1.0.0`])).toBe(await skopeoInspectRaw(`${repo}:1.0.0`))
    // The referrers tag is the registry's bookkeeping: oci tags lists versions only.
    const tags = json<{tags: Array<{tag: string}>}>(await runCli(['oci', 'tags', 'redis', '--json'], {env: env()}))
    expect(tags.tags.map((t) => t.tag)).not.toContain(tag)
    expect(tags.tags.map((t) => t.tag)).toContain('1.0.0')
  })
})
