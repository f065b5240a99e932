import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {writeExtension} from '../helpers/deps.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'

const PASSPHRASE = 'push signing passphrase'

interface PushDoc {
  digest: string
  signature?: {referrer: string; keyFingerprint: string; existing: boolean}
}

interface ErrorDoc {
  error: {code: string; message: string; exit: number; hint?: string}
}

/** `oci push --sign` and `oci.require_signed_push` (issue 14), on the real registry, checked with `oci verify`. */
describe('oci push --sign (built CLI, real registry)', () => {
  const {box, env} = useRegistrySandbox()
  let key = ''
  let publicKey = ''
  let fingerprint = ''
  const cli = (args: string[], extra: Record<string, string> = {}, input?: string): Promise<CliResult> =>
    runCli(args, {env: {...env(), PROVISIONING_SIGNING_PASSWORD: PASSPHRASE, ...extra}, cwd: box().root, input})
  const extension = async (name: string, version: string) => {
    const dir = path.join(box().root, `${name}-${version}`)
    await writeExtension(dir, {name, version}, {VERSION: `${version}\n`})
    return dir
  }

  beforeAll(async () => {
    const made = await cli(['oci', 'key', 'generate', '--output', 'keys', '--json'])
    expect(made.exitCode, made.stderr).toBe(0)
    ;({privateKeyFile: key, publicKeyFile: publicKey, fingerprint} = json<{privateKeyFile: string; publicKeyFile: string; fingerprint: string}>(made))
  })

  it('signs what it pushes; pushing the same content again adds no second signature', async () => {
    const dir = await extension('signed', '1.0.0')
    const first = await cli(['oci', 'push', dir, '--sign', '--key', key, '--json'])
    expect(first.exitCode, first.stderr).toBe(0)
    const pushed = json<PushDoc>(first)
    expect(pushed.signature).toMatchObject({keyFingerprint: fingerprint, existing: false})
    const verified = await cli(['oci', 'verify', 'signed:1.0.0', '--key', publicKey, '--json'])
    expect(verified.exitCode, verified.stderr).toBe(0)

    const again = await cli(['oci', 'push', dir, '--sign', '--key', key])
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout).toContain(`signed: ${fingerprint} (already signed by this key)`)
    const inspect = json<{referrers: unknown[]}>(await cli(['oci', 'inspect', 'signed:1.0.0', '--json']))
    expect(inspect.referrers).toHaveLength(1)
  })

  it('a wrong passphrase or --sign without a key stops the push before anything is sent', async () => {
    const dir = await extension('refused', '1.0.0')
    const wrong = await cli(['oci', 'push', dir, '--sign', '--key', key, '--json'], {PROVISIONING_SIGNING_PASSWORD: 'not it'})
    expect(wrong.exitCode).toBe(3)
    expect(wrong.stdout + wrong.stderr).not.toContain('not it')
    const keyless = await cli(['oci', 'push', dir, '--sign', '--json'])
    expect(keyless.exitCode).toBe(2)
    expect(json<ErrorDoc>(keyless).error.hint).toContain('--key')
    const keyAlone = await cli(['oci', 'push', dir, '--key', key, '--json'])
    expect(keyAlone.exitCode).toBe(2)
    expect((await cli(['oci', 'tags', 'refused', '--json'])).exitCode).toBe(4)
  })

  it('oci.require_signed_push: refused without a key (exit 10, nothing pushed); signs with oci.signing_key', async () => {
    const dir = await extension('required', '1.0.0')
    const refused = await cli(['oci', 'push', dir, '--set', 'oci.require_signed_push=true', '--json'])
    expect(refused.exitCode, refused.stderr).toBe(10)
    expect(json<ErrorDoc>(refused).error.message).toContain('oci.require_signed_push')
    expect((await cli(['oci', 'tags', 'required', '--json'])).exitCode).toBe(4)

    const signed = await cli(['oci', 'push', dir, '--set', 'oci.require_signed_push=true', '--set', `oci.signing_key=${key}`, '--json'])
    expect(signed.exitCode, signed.stderr).toBe(0)
    expect(json<PushDoc>(signed).signature).toMatchObject({keyFingerprint: fingerprint, existing: false})
    expect((await cli(['oci', 'verify', 'required:1.0.0', '--key', publicKey])).exitCode).toBe(0)
  })
})
