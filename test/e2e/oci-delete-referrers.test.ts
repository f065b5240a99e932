import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {writeExtension} from '../helpers/deps.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'
import {skopeoInspectRaw} from '../helpers/skopeo.js'
import {generateKeys, type KeyDoc} from '../helpers/signing-keys.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

const PASSPHRASE = 'delete referrers passphrase'
const REPOSITORY = 'provisioning-extensions'

interface DeleteDoc {
  reference: string
  digest: string
  deleted: boolean
  referrers?: string[]
}

/** What the store holds, read without our CLI: skopeo for a registry, index.json and blobs for a layout. */
interface Outside {
  /** Whether the store still names the manifest: fetchable by digest (registry), an index.json entry (layout). */
  holds(name: string, digest: string): Promise<boolean>
  /**
   * The referrers of `subject` as the store's own bookkeeping lists them: the index under the
   * `sha256-<hex>` tag (registry), the index.json entries whose manifest names it (layout);
   * undefined when nothing lists any (no such tag; no such entry).
   */
  bookkeeping(name: string, subject: string): Promise<string[] | undefined>
}

interface Backend {
  env: () => Record<string, string>
  box: () => Sandbox
  outside: () => Outside
}

/**
 * `oci delete` takes a manifest's referrers along, with the store's list of them; a referrer
 * deleted by digest leaves its subject's list; a forced republish keeps the replaced manifest
 * and its signatures by digest (a lock may pin it), until `oci delete NAME@DIGEST`.
 */
function deleteFlow(backend: Backend): void {
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(args, {env: {...backend.env(), PROVISIONING_SIGNING_PASSWORD: PASSPHRASE}, cwd: backend.box().root})
  let alice: KeyDoc

  /** Pushes `name` (its content `content`) as 1.0.0, with `extra` flags; its digest. */
  const push = async (name: string, content: string, extra: string[] = []): Promise<string> => {
    const dir = path.join(backend.box().root, 'ext', `${name}-${content}`)
    await writeExtension(dir, {name, version: '1.0.0'}, {CONTENT: `${content}\n`})
    const pushed = await cli(['oci', 'push', dir, '--json', ...extra])
    expect(pushed.exitCode, pushed.stderr).toBe(0)
    return json<{digest: string}>(pushed).digest
  }
  const sign = async (reference: string): Promise<string> => {
    const signed = await cli(['oci', 'sign', reference, '--key', alice.privateKeyFile, '--json'])
    expect(signed.exitCode, signed.stderr).toBe(0)
    return json<{referrer: string}>(signed).referrer
  }
  const remove = async (reference: string): Promise<DeleteDoc> => {
    const deleted = await cli(['oci', 'delete', reference, '--yes', '--json'])
    expect(deleted.exitCode, deleted.stdout + deleted.stderr).toBe(0)
    return json<DeleteDoc>(deleted)
  }
  const verify = (reference: string) => cli(['oci', 'verify', reference, '--key', alice.publicKeyFile, '--json'])

  beforeAll(async () => {
    ;[alice] = await generateKeys((args, extra) => runCli(args, {env: {...backend.env(), ...extra.env}, cwd: backend.box().root}), ['alice'], PASSPHRASE)
  })

  it('oci delete takes the signature, and the signature of that signature, along with the list of them', async () => {
    const subject = await push('gone', 'a')
    const signature = await sign('gone:1.0.0')
    const countersignature = await sign(`gone@${signature}`)
    expect(await backend.outside().bookkeeping('gone', subject)).toEqual([signature])
    expect(await backend.outside().bookkeeping('gone', signature)).toEqual([countersignature])

    const deleted = await remove('gone:1.0.0')
    expect(deleted).toMatchObject({digest: subject, deleted: true})
    expect(deleted.referrers?.sort()).toEqual([signature, countersignature].sort())
    for (const digest of [subject, signature, countersignature]) expect(await backend.outside().holds('gone', digest)).toBe(false)
    expect(await backend.outside().bookkeeping('gone', subject)).toBeUndefined()
    expect(await backend.outside().bookkeeping('gone', signature)).toBeUndefined()
  })

  it('the text output says how many referrers went with it; a manifest without any deletes as before', async () => {
    await push('plain', 'a')
    await sign('plain:1.0.0')
    const text = await cli(['oci', 'delete', 'plain:1.0.0', '--yes'])
    expect(text.exitCode, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^deleted .*plain:1\.0\.0 \(sha256:[0-9a-f]{64}\) and its 1 referrer$/)
    const unsigned = await push('plain', 'b')
    expect(await remove('plain:1.0.0')).toEqual({reference: expect.stringMatching(/plain:1\.0\.0$/), digest: unsigned, deleted: true})
  })

  it('a signature deleted by digest leaves its subject list; the last one takes the list with it', async () => {
    const subject = await push('kept', 'a')
    const first = await sign('kept:1.0.0')
    const second = await sign('kept:1.0.0')
    expect((await backend.outside().bookkeeping('kept', subject))?.sort()).toEqual([first, second].sort())

    expect(await remove(`kept@${first}`)).toMatchObject({digest: first, deleted: true})
    expect(await backend.outside().bookkeeping('kept', subject)).toEqual([second])
    const verified = await verify('kept:1.0.0')
    expect(verified.exitCode, verified.stdout).toBe(0)
    expect(json<{findings: Array<{referrer: string}>}>(verified).findings.map((f) => f.referrer)).toEqual([second])

    await remove(`kept@${second}`)
    expect(await backend.outside().bookkeeping('kept', subject)).toBeUndefined()
    expect(await backend.outside().holds('kept', subject)).toBe(true)
    expect((await verify('kept:1.0.0')).exitCode).toBe(8)
  })

  it('a forced republish keeps the replaced manifest and its signature by digest; oci delete NAME@DIGEST removes both', async () => {
    const old = await push('moved', 'a')
    const signature = await sign('moved:1.0.0')
    const current = await push('moved', 'b', ['--force'])
    expect(current).not.toBe(old)

    // A lock pinning the old digest still finds it signed; the version itself is not signed any more.
    expect((await verify(`moved@${old}`)).exitCode).toBe(0)
    expect((await verify('moved:1.0.0')).exitCode).toBe(8)
    expect(await backend.outside().bookkeeping('moved', old)).toEqual([signature])
    expect(await backend.outside().holds('moved', old)).toBe(true)

    expect((await remove(`moved@${old}`)).referrers).toEqual([signature])
    expect(await backend.outside().holds('moved', old)).toBe(false)
    expect(await backend.outside().holds('moved', signature)).toBe(false)
    expect(await backend.outside().bookkeeping('moved', old)).toBeUndefined()
    expect(await backend.outside().holds('moved', current)).toBe(true)
  })
}

describe('oci delete and referrers on an OCI layout (built CLI; index.json read directly)', () => {
  let box: Sandbox
  beforeAll(async () => {
    box = await sandbox()
    return () => box.cleanup()
  })
  const store = () => path.join(box.root, 'store')
  const layout = (name: string) => path.join(store(), REPOSITORY, name)
  const entries = async (name: string) =>
    (JSON.parse(await readFile(path.join(layout(name), 'index.json'), 'utf8')) as {manifests: Array<{digest: string}>}).manifests
  const subjectOf = async (name: string, digest: string) =>
    (JSON.parse(await readFile(path.join(layout(name), 'blobs', 'sha256', digest.slice(7)), 'utf8')) as {subject?: {digest: string}}).subject?.digest

  deleteFlow({
    box: () => box,
    env: () => ({...box.env, PROVISIONING_OCI__REGISTRY: `oci-layout://${store()}`}),
    outside: () => ({
      holds: async (name, digest) => (await entries(name)).some((m) => m.digest === digest),
      async bookkeeping(name, subject) {
        const listed: string[] = []
        for (const entry of await entries(name)) if ((await subjectOf(name, entry.digest)) === subject) listed.push(entry.digest)
        return listed.length > 0 ? listed : undefined
      },
    }),
  })
})

describe('oci delete and referrers on a real registry (referrers tag schema; read with skopeo)', () => {
  const {registry, box, env} = useRegistrySandbox()
  const repo = (name: string) => `docker://${registry().host}/${REPOSITORY}/${name}`
  const found = (ref: string) =>
    skopeoInspectRaw(ref).then(
      (raw) => raw,
      () => undefined,
    )

  deleteFlow({
    box,
    env,
    outside: () => ({
      holds: async (name, digest) => (await found(`${repo(name)}@${digest}`)) !== undefined,
      async bookkeeping(name, subject) {
        const raw = await found(`${repo(name)}:${subject.replace(':', '-')}`)
        return raw === undefined ? undefined : (JSON.parse(raw) as {manifests: Array<{digest: string}>}).manifests.map((m) => m.digest)
      },
    }),
  })
})
