import {execa} from 'execa'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {AuthError} from '../../../src/lib/errors.js'

import {buildExtensionArtifact} from '../../../src/lib/artifact/artifact.js'
import {OciStores} from '../../../src/lib/oci/stores.js'
import {sha256} from '../../../src/lib/oci/digest.js'
import {findBinary} from '../../../src/lib/util/find-binary.js'
import {MediaType} from '../../../src/lib/oci/media-types.js'
import {createEngine} from '../../../src/lib/oci/engines/choose.js'
import {NativeEngine} from '../../../src/lib/oci/engines/native.js'
import {OrasEngine} from '../../../src/lib/oci/engines/oras.js'
import {
  orasAnnotations,
  orasCopyArgs,
  orasDeleteArgs,
  orasFailure,
  orasLoginArgs,
  orasPullArgs,
  orasPushArgs,
  orasTagArgs,
  orasTagsArgs,
  parseOrasPull,
  parseOrasPush,
  parseOrasTags,
} from '../../../src/lib/oci/engines/oras-cli.js'
import {parseReference} from '../../../src/lib/oci/reference.js'
import type {OciSettings} from '../../../src/lib/oci/settings.js'
import {recordingOras, type RecordingOras} from '../../helpers/recording-oras.js'

const settings = (over: Partial<OciSettings> = {}): OciSettings => ({
  registry: 'localhost:5000',
  userRegistry: 'localhost:5000',
  namespace: 'ext',
  tool: 'oras',
  concurrency: 4,
  tlsEnabled: false,
  insecure: false,
  timeoutMs: 30_000,
  minBytesPerSecond: 32_768,
  retries: 3,
  cacheDir: '/tmp/c',
  indexTtlSeconds: 300,
  prereleases: false,
  home: '/home/u/.provisioning',
  env: {},
  cwd: '/tmp',
  ...over,
})
const defaults = {registry: 'localhost:5000', namespace: 'ext'}
const layerData = Buffer.from('layer')
const artifact = buildExtensionArtifact({
  manifest: {name: 'redis', version: '7.2.0', description: 'Redis'},
  fileName: 'redis-7.2.0.tar.gz',
  data: layerData,
  digest: sha256(layerData),
})

describe('oras command construction', () => {
  it('push: artifact type, typed config, annotation file, plain HTTP, registry config, JSON output, typed layer', () => {
    const args = orasPushArgs(parseReference('redis:7.2.0', defaults), settings(), {
      config: '/t/config.json',
      layer: '/t/redis-7.2.0.tar.gz',
      annotations: '/t/a.json',
    })
    expect(args.slice(0, 2)).toEqual(['push', 'localhost:5000/ext/redis:7.2.0'])
    expect(args).toEqual(
      expect.arrayContaining([
        '--artifact-type',
        MediaType.extensionArtifact,
        '--config',
        `/t/config.json:${MediaType.extensionConfig}`,
        '--annotation-file',
        '/t/a.json',
        '--plain-http',
        '--format',
        'json',
      ]),
    )
    expect(args.join(' ')).toContain('--registry-config /home/u/.provisioning/auth.json')
    // The layer is named by its base name (run in its folder) so oras titles it like the native engine.
    expect(args.at(-1)).toBe(`redis-7.2.0.tar.gz:${MediaType.layerTarGzip}`)
  })

  it('uses TLS flags only when configured, and --oci-layout for layout stores', () => {
    const tls = orasPushArgs(parseReference('redis:1.0.0', defaults), settings({tlsEnabled: true, caFile: '/ca.pem', insecure: true}), {
      config: 'c',
      layer: 'l',
      annotations: 'a',
    })
    expect(tls).not.toContain('--plain-http')
    expect(tls).toEqual(expect.arrayContaining(['--ca-file', '/ca.pem', '--insecure']))
    const layout = orasPullArgs(parseReference('oci-layout:///store/ext/redis:1.0.0', defaults), settings(), '/out')
    expect(layout.slice(0, 2)).toEqual(['pull', '/store/ext/redis:1.0.0'])
    expect(layout).toContain('--oci-layout')
    expect(layout).not.toContain('--plain-http')
  })

  it('plain HTTP only for the configured registry and loopback hosts, as the native engine', () => {
    const plain = (host: string) =>
      orasPullArgs(parseReference(`oci://${host}/ns/redis:1.0.0`, defaults), settings({registry: 'registry.internal:5000'}), '/out').includes('--plain-http')
    expect(plain('registry.internal:5000')).toBe(true)
    expect(plain('127.0.0.1:5000')).toBe(true)
    expect(plain('harbor.example.com')).toBe(false)
    const copy = orasCopyArgs(
      parseReference('oci://harbor.example.com/ns/a:1', defaults),
      parseReference('oci://localhost:5000/ns/a:1', defaults),
      settings(),
      4,
    )
    expect(copy).toContain('--to-plain-http')
    expect(copy).not.toContain('--from-plain-http')
  })

  it('copy, tags, login and delete', () => {
    const copy = orasCopyArgs(parseReference('redis:1.0.0', defaults), parseReference('oci-layout:///m/redis:1.0.0', defaults), settings(), 8)
    expect(copy).toEqual(
      expect.arrayContaining(['cp', 'localhost:5000/ext/redis:1.0.0', '/m/redis:1.0.0', '--from-plain-http', '--to-oci-layout', '--concurrency', '8']),
    )
    // Referrers (signatures…) go along only when asked: oras cp --recursive.
    expect(copy).not.toContain('--recursive')
    expect(orasCopyArgs(parseReference('redis:1.0.0', defaults), parseReference('oci-layout:///m/redis:1.0.0', defaults), settings(), 8, true)).toContain(
      '--recursive',
    )
    expect(orasTagsArgs(parseReference('redis', defaults), settings()).slice(0, 3)).toEqual(['repo', 'tags', 'localhost:5000/ext/redis'])
    const login = orasLoginArgs('harbor.example.com', 'ci', settings({tlsEnabled: true}))
    expect(login).toEqual(expect.arrayContaining(['login', 'harbor.example.com', '--username', 'ci', '--password-stdin']))
    expect(login.join(' ')).not.toMatch(/--password\s/)
    expect(orasDeleteArgs(parseReference('redis:1.0.0', defaults), settings())).toEqual(
      expect.arrayContaining(['manifest', 'delete', 'localhost:5000/ext/redis:1.0.0', '--force']),
    )
  })

  it('stored credentials never go to a host reached over plain HTTP that is not loopback (the native clear-text rule)', () => {
    const config = '--registry-config'
    const internal = settings({registry: 'registry.internal:5000'})
    const on = (reference: string) => orasDeleteArgs(parseReference(reference, defaults), internal)
    expect(on('oci://registry.internal:5000/ns/redis:1.0.0')).toContain('--plain-http')
    expect(on('oci://registry.internal:5000/ns/redis:1.0.0')).not.toContain(config)
    expect(on('oci://127.0.0.1:5000/ns/redis:1.0.0')).toContain(config)
    expect(on('oci://harbor.example.com/ns/redis:1.0.0')).toContain(config)
    expect(orasTagArgs(parseReference('oci://registry.internal:5000/ns/redis:1.0.0', defaults), ['stable'], internal)).not.toContain(config)
    const copy = (to: string) => orasCopyArgs(parseReference('oci://harbor.example.com/ns/a:1', defaults), parseReference(to, defaults), internal, 4)
    expect(copy('oci://registry.internal:5000/ns/a:1')).not.toContain(config)
    expect(copy('oci-layout:///m/a:1')).toContain(config)
  })

  it('tag: the source, then every new tag, then transport flags', () => {
    expect(orasTagArgs(parseReference('redis:1.0.0', defaults), ['stable', 'latest'], settings())).toEqual([
      'tag',
      'localhost:5000/ext/redis:1.0.0',
      'stable',
      'latest',
      '--plain-http',
      '--registry-config',
      '/home/u/.provisioning/auth.json',
    ])
    const layout = orasTagArgs(parseReference('oci-layout:///m/redis:1.0.0', defaults), ['stable'], settings())
    expect(layout).toEqual(['tag', '/m/redis:1.0.0', 'stable', '--oci-layout'])
  })

  it('gives oras the manifest annotations so it builds the same manifest', () => {
    const annotations = orasAnnotations(artifact)
    expect(annotations.$manifest['org.opencontainers.image.created']).toBe('1970-01-01T00:00:00Z')
    expect(annotations.$manifest['org.opencontainers.image.version']).toBe('7.2.0')
    expect(annotations['redis-7.2.0.tar.gz']).toEqual({})
  })
})

describe('oras output parsing', () => {
  const digest = `sha256:${'a'.repeat(64)}`
  it('reads push output in JSON (oras >= 1.2) and text form', () => {
    expect(parseOrasPush(JSON.stringify({reference: 'localhost:5000/ext/redis@' + digest, mediaType: MediaType.imageManifest, digest, size: 600}))).toEqual({
      digest,
      reference: `localhost:5000/ext/redis@${digest}`,
    })
    expect(parseOrasPush(`Uploading 1 file\nPushed [registry] localhost:5000/ext/redis:7.2.0\nDigest: ${digest}\n`)).toEqual({digest})
    expect(() => parseOrasPush('garbage')).toThrow(/could not read the digest/)
  })

  it('reads pull JSON and tag lists', () => {
    expect(parseOrasPull(JSON.stringify({reference: 'x', files: [{path: '/o/redis-7.2.0.tar.gz', digest}]})).files[0].path).toBe('/o/redis-7.2.0.tar.gz')
    expect(parseOrasTags('1.0.0\n1.1.0\n\nlatest\n')).toEqual(['1.0.0', '1.1.0', 'latest'])
  })

  it('maps failures to exit codes', () => {
    expect((orasFailure('push', 'Error: unauthorized: authentication required') as unknown as {exit: number}).exit).toBe(7)
    expect((orasFailure('pull', 'Error: localhost:5000/ext/x:1: not found') as unknown as {exit: number}).exit).toBe(4)
    expect((orasFailure('pull', 'Error: failed to connect') as unknown as {exit: number}).exit).toBe(6)
  })
})

describe('engines', () => {
  let oras: RecordingOras
  let dir: string
  const contexts: OciStores[] = []
  /** A context on a layout folder in `dir`, with the recording oras as the only oras on PATH. */
  const context = (tool: OciSettings['tool'], path = oras.dir) => {
    const oci = new OciStores(settings({tool, cacheDir: `${dir}/cache`, home: `${dir}/home`, env: {PATH: path}}))
    contexts.push(oci)
    return oci
  }
  beforeAll(async () => {
    oras = await recordingOras()
    dir = await mkdtemp(path.join(os.tmpdir(), 'engines-'))
  })
  afterAll(async () => {
    await Promise.all(contexts.map((oci) => oci.close()))
    await oras.cleanup()
    await rm(dir, {recursive: true, force: true})
  })

  it('oras login to a host reached over plain HTTP that is not loopback is refused before oras runs (exit 7), as the native login is', async () => {
    // The configured registry, plain HTTP (oci.tls_enabled false), on a host that is not loopback.
    const oci = new OciStores(
      settings({tool: 'oras', registry: 'registry.internal:5000', cacheDir: `${dir}/cache`, home: `${dir}/home`, env: {PATH: oras.dir}}),
    )
    contexts.push(oci)
    const engine = await createEngine(oci)
    const before = (await oras.calls()).length
    const refused = await engine.login('registry.internal:5000', 'ci', 's3cret').catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(AuthError)
    expect((refused as AuthError).exit).toBe(7)
    expect((refused as AuthError).message).toMatch(/plain HTTP and is not a loopback host/)
    expect((await oras.calls()).length).toBe(before)
  })

  it('is chosen once from oci.tool and PATH, and says why', async () => {
    const chosen = await createEngine(context('oras'))
    expect(chosen).toBeInstanceOf(OrasEngine)
    expect({name: chosen.name, reason: chosen.reason, binary: chosen.binary}).toEqual({name: 'oras', reason: 'oci.tool = oras', binary: oras.binary})
    expect((await createEngine(context('auto'))).reason).toBe(`oci.tool = auto and oras was found at ${oras.binary}`)
    const native = await createEngine(context('native'))
    expect({name: native.name, reason: native.reason, binary: native.binary}).toEqual({name: 'native', reason: 'oci.tool = native', binary: undefined})
    expect((await createEngine(context('auto', '/nonexistent'))).reason).toBe('oci.tool = auto and oras is not on PATH')
    await expect(createEngine(context('oras', '/nonexistent'))).rejects.toMatchObject({exit: 3, message: 'oci.tool = oras, but the oras binary is not on PATH'})
  })

  it('oras deletes and tags by digest: the manifest is resolved natively, oras gets the digest', async () => {
    const oci = context('oras')
    const ref = parseReference(`oci-layout://${dir}/layout/ext/redis:7.2.0`, defaults)
    // Pushed natively: the recording oras stores nothing.
    await new NativeEngine('test', oci).push(ref, artifact, {})
    const engine = new OrasEngine(oras.binary, 'test', oci)
    const digest = artifact.manifest.descriptor.digest
    expect(await engine.tag(ref, ['stable', 'latest'])).toEqual({digest})
    await engine.delete(ref, digest)
    await engine.delete(parseReference('redis:7.2.0', defaults), digest)
    expect(await oras.calls()).toEqual([
      ['tag', `${dir}/layout/ext/redis@${digest}`, 'stable', 'latest', '--oci-layout'],
      ['manifest', 'delete', `${dir}/layout/ext/redis@${digest}`, '--force', '--oci-layout'],
      ['manifest', 'delete', `localhost:5000/ext/redis@${digest}`, '--force', '--plain-http', '--registry-config', `${dir}/home/auth.json`],
    ])
  })

  it('native tags and deletes in the store itself', async () => {
    const oci = context('native')
    const ref = parseReference(`oci-layout://${dir}/native/ext/redis:7.2.0`, defaults)
    const engine = new NativeEngine('test', oci)
    await engine.push(ref, artifact, {})
    expect(await engine.tag(ref, ['stable'])).toEqual({digest: artifact.manifest.descriptor.digest})
    expect((await engine.listTags(ref)).sort()).toEqual(['7.2.0', 'stable'])
    await engine.delete(ref, artifact.manifest.descriptor.digest)
    expect(await engine.listTags(ref)).toEqual([])
  })
})

// The oras binary cannot be installed on the project's build machines; where it is on
// PATH, these run the real thing against the layout store (no registry needed).
const oras = await findBinary('oras', {env: process.env, cwd: process.cwd()})
describe.runIf(oras)('real oras', () => {
  it('pushes to an OCI layout the same manifest digest the native engine computes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oras-real-'))
    try {
      const {orasPush} = await import('../../../src/lib/oci/engines/oras.js')
      const ref = parseReference(`oci-layout://${dir}/ext/redis:7.2.0`, defaults)
      const result = await orasPush(oras as string, ref, artifact, settings())
      expect(result.digest).toBe(artifact.manifest.descriptor.digest)
      const tags = await execa(oras as string, ['repo', 'tags', '--oci-layout', path.join(dir, 'ext', 'redis')])
      expect(String(tags.stdout)).toContain('7.2.0')
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
