import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {publish, writeExtension} from '../helpers/deps.js'
import {sha256} from '../helpers/oci-layout.js'
import {recordingOras, type RecordingOras} from '../helpers/recording-oras.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'
import {skopeoInspectRaw, skopeoListTags} from '../helpers/skopeo.js'
import {filesUnder} from '../helpers/tree.js'

interface ErrorDoc {
  error: {code: string; message: string; exit: number; hint: string; details: {reference: string; previous: string; digest: string}}
}

interface Replaced {
  reference: string
  previous: string
  digest: string
}

interface AuditLine {
  command: string
  result: string
  details?: {replaced?: Replaced[]}
}

function expectRefused(result: CliResult, reference: string, previous: string, digest: string, action: string): void {
  expect(result.exitCode, result.stdout + result.stderr).toBe(10)
  const {error} = json<ErrorDoc>(result)
  expect(error.code).toBe('E_VALIDATION')
  expect(error.message).toBe(`${reference} already holds ${previous}; this ${action} is ${digest}`)
  expect(error.hint).toContain('--force')
  expect(error.details).toMatchObject({reference, previous, digest})
}

/** SPEC §8.2: a published version is immutable; `--force` replaces it and is audited. */
describe('immutable versions: oci push, copy and tag (built CLI, real registry, checked with skopeo)', () => {
  const {registry, box, env} = useRegistrySandbox()
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, {env: {...env(), ...extra}, cwd: box().root})
  const repository = (name = 'redis') => `${registry().host}/provisioning-extensions/${name}`
  const remoteDigest = async (ref: string) => sha256(await skopeoInspectRaw(`docker://${ref}`))
  const blobsDir = () => path.join(registry().storageDir, 'docker/registry/v2/blobs')
  const auditLines = async () =>
    (await readFile(path.join(box().home, 'audit.log'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditLine)
  /** The digest a folder packages to (packaging is reproducible), without pushing it. */
  const packagedDigest = async (dir: string) => json<{digest: string}>(await cli(['oci', 'push', dir, '--dry-run', '--json'])).digest

  const dirs = {original: '', republished: '', older: ''}
  let original: string
  let republished: string
  beforeAll(async () => {
    dirs.original = path.join(box().root, 'redis-a')
    dirs.republished = path.join(box().root, 'redis-b')
    dirs.older = path.join(box().root, 'redis-old')
    await writeExtension(dirs.original, {name: 'redis', version: '7.2.5'}, {VERSION: 'original\n'})
    // Same name and version, other content, and a file no other artifact has: its blob is new.
    await writeExtension(dirs.republished, {name: 'redis', version: '7.2.5'}, {VERSION: 'republished\n', 'fresh.txt': `${Date.now()}\n`})
    await writeExtension(dirs.older, {name: 'redis', version: '7.2.4'}, {VERSION: 'older\n'})
    await publish(registry().host, box().env, [dirs.original, dirs.older])
    original = await remoteDigest(`${repository()}:7.2.5`)
    republished = await packagedDigest(dirs.republished)
    expect(republished).not.toBe(original)
  })

  it('other content under a published version: exit 10 naming both digests, nothing uploaded, the registry unchanged', async () => {
    const before = await filesUnder(blobsDir())
    const result = await cli(['oci', 'push', dirs.republished, '--json'])
    expectRefused(result, `${repository()}:7.2.5`, original, republished, 'push')
    expect(await filesUnder(blobsDir())).toEqual(before)
    expect(await remoteDigest(`${repository()}:7.2.5`)).toBe(original)

    const text = await cli(['oci', 'push', dirs.republished])
    expect(text.exitCode).toBe(10)
    expect(text.stdout).toBe('')
    expect(text.stderr).toContain(`${repository()}:7.2.5 already holds ${original}; this push is ${republished}`)
    expect(text.stderr).toContain('bump the version in manifest.yaml')
  })

  it('the other spelling of a published version (v7.2.5 beside 7.2.5) holding other content is the same conflict', async () => {
    const result = await cli(['oci', 'push', dirs.republished, `${repository()}:v7.2.5`, '--json'])
    expectRefused(result, `${repository()}:7.2.5`, original, republished, 'push')
    expect(await skopeoListTags(`docker://${repository()}`)).not.toContain('v7.2.5')
  })

  it('the same content again is a no-op (exit 0, no blob uploaded)', async () => {
    const before = await filesUnder(blobsDir())
    const result = await cli(['oci', 'push', dirs.original, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const doc = json<{digest: string; transferred: number; replaced?: unknown}>(result)
    expect(doc).toMatchObject({digest: original, transferred: 0})
    expect(doc.replaced).toBeUndefined()
    expect(await filesUnder(blobsDir())).toEqual(before)
  })

  it('with oci.tool = oras the guard runs first: a refused push never starts oras', async () => {
    const oras: RecordingOras = await recordingOras()
    try {
      const result = await cli(['oci', 'push', dirs.republished, '--set', 'oci.tool=oras', '--json'], {PATH: `${oras.dir}${path.delimiter}${process.env.PATH}`})
      expectRefused(result, `${repository()}:7.2.5`, original, republished, 'push')
      expect(await oras.calls()).toEqual([])
    } finally {
      await oras.cleanup()
    }
  })

  it('--force replaces the version and the audit log names the reference and both digests', async () => {
    const result = await cli(['oci', 'push', dirs.republished, '--force', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const replaced = {reference: `${repository()}:7.2.5`, previous: original, digest: republished}
    expect(json<{digest: string; replaced: Replaced}>(result)).toMatchObject({digest: republished, replaced})
    expect(await remoteDigest(`${repository()}:7.2.5`)).toBe(republished)
    const last = (await auditLines()).at(-1)
    expect(last).toMatchObject({command: 'oci push', result: 'ok', details: {replaced: [replaced]}})
  })

  it('oci copy to a version tag holding other content: exit 10 unless --force (audited); the same content is a no-op', async () => {
    const mirror = repository('mirror-redis')
    expect((await cli(['oci', 'copy', 'redis:7.2.5', `oci://${mirror}:7.2.5`, '--json'])).exitCode).toBe(0)
    expect((await cli(['oci', 'copy', 'redis:7.2.5', `oci://${mirror}:7.2.5`, '--json'])).exitCode).toBe(0)
    const older = await remoteDigest(`${repository()}:7.2.4`)
    const refused = await cli(['oci', 'copy', 'redis:7.2.4', `oci://${mirror}:7.2.5`, '--json'])
    expectRefused(refused, `${mirror}:7.2.5`, republished, older, 'copy')
    expect(await remoteDigest(`${mirror}:7.2.5`)).toBe(republished)
    // Other tags stay movable.
    expect((await cli(['oci', 'copy', 'redis:7.2.4', `oci://${mirror}:latest`, '--json'])).exitCode).toBe(0)

    const forced = await cli(['oci', 'copy', 'redis:7.2.4', `oci://${mirror}:7.2.5`, '--force'])
    expect(forced.exitCode, forced.stderr).toBe(0)
    expect(forced.stdout).toContain(`replaced ${mirror}:7.2.5: was ${republished}`)
    expect(await remoteDigest(`${mirror}:7.2.5`)).toBe(older)
    expect((await auditLines()).at(-1)).toMatchObject({
      command: 'oci copy',
      details: {replaced: [{reference: `${mirror}:7.2.5`, previous: republished, digest: older}]},
    })
  })

  it('oci tag moving a version tag to another artifact: exit 10 unless --force (audited); stable and latest move freely', async () => {
    const older = await remoteDigest(`${repository()}:7.2.4`)
    const refused = await cli(['oci', 'tag', 'redis:7.2.4', 'stable', '7.2.5', '--json'])
    expectRefused(refused, `${repository()}:7.2.5`, republished, older, 'tag')
    // Nothing was tagged, not even the movable tag named beside it.
    await expect(skopeoInspectRaw(`docker://${repository()}:stable`)).rejects.toThrow()
    expect(await remoteDigest(`${repository()}:7.2.5`)).toBe(republished)

    for (const source of ['redis:7.2.4', 'redis:7.2.5']) expect((await cli(['oci', 'tag', source, 'stable', '--json'])).exitCode).toBe(0)
    // The version tag on its own content again is a no-op.
    expect((await cli(['oci', 'tag', 'redis:7.2.5', '7.2.5', '--json'])).exitCode).toBe(0)

    const forced = await cli(['oci', 'tag', 'redis:7.2.4', 'v7.2.5', '7.2.5', '--force', '--json'])
    expect(forced.exitCode, forced.stderr).toBe(0)
    const replaced = [{reference: `${repository()}:7.2.5`, previous: republished, digest: older}]
    expect(json<{replaced: Replaced[]}>(forced).replaced).toEqual(replaced)
    expect(await remoteDigest(`${repository()}:7.2.5`)).toBe(older)
    expect((await auditLines()).at(-1)).toMatchObject({command: 'oci tag', details: {replaced}})
  })

  it('an oci-layout:// destination is guarded alike: refused with nothing written, then replaced with --force', async () => {
    const layout = path.join(box().root, 'layout')
    const target = `oci-layout://${layout}`
    expect((await cli(['oci', 'push', dirs.original, target, '--json'])).exitCode).toBe(0)
    const index = await readFile(path.join(layout, 'index.json'), 'utf8')
    const blobs = await filesUnder(path.join(layout, 'blobs'))

    const refused = await cli(['oci', 'push', dirs.republished, target, '--json'])
    expectRefused(refused, `${target}:7.2.5`, original, republished, 'push')
    expect(await readFile(path.join(layout, 'index.json'), 'utf8')).toBe(index)
    expect(await filesUnder(path.join(layout, 'blobs'))).toEqual(blobs)

    const forced = await cli(['oci', 'push', dirs.republished, target, '--force', '--json'])
    expect(forced.exitCode, forced.stderr).toBe(0)
    expect(json<{replaced: Replaced}>(forced).replaced).toEqual({reference: `${target}:7.2.5`, previous: original, digest: republished})
    const tagged = (
      JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as {manifests: Array<{digest: string; annotations?: Record<string, string>}>}
    ).manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] === '7.2.5')
    expect(tagged.map((m) => m.digest)).toEqual([republished])
  })
})
