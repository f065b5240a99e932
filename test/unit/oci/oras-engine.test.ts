import {execa} from 'execa'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {buildExtensionArtifact} from '../../../src/lib/oci/artifact.js'
import {sha256} from '../../../src/lib/oci/digest.js'
import {findBinary} from '../../../src/lib/util/find-binary.js'
import {MediaType} from '../../../src/lib/oci/media-types.js'
import {
  orasAnnotations, orasCopyArgs, orasDeleteArgs, orasFailure, orasLoginArgs, orasPullArgs, orasPushArgs, orasTagsArgs,
  parseOrasPull, parseOrasPush, parseOrasTags,
} from '../../../src/lib/oci/oras-engine.js'
import {parseReference} from '../../../src/lib/oci/reference.js'
import type {OciSettings} from '../../../src/lib/oci/settings.js'

const settings = (over: Partial<OciSettings> = {}): OciSettings => ({
  registry: 'localhost:5000', userRegistry: 'localhost:5000', namespace: 'ext', tool: 'oras', concurrency: 4, tlsEnabled: false, insecure: false,
  timeoutMs: 30_000, minBytesPerSecond: 32_768, retries: 3, cacheDir: '/tmp/c', indexTtlSeconds: 300, prereleases: false, home: '/home/u/.provisioning', env: {}, cwd: '/tmp', ...over,
})
const defaults = {registry: 'localhost:5000', namespace: 'ext'}
const layerData = Buffer.from('layer')
const artifact = buildExtensionArtifact({manifest: {name: 'redis', version: '7.2.0', description: 'Redis'}, fileName: 'redis-7.2.0.tar.gz', data: layerData, digest: sha256(layerData)})

describe('oras command construction', () => {
  it('push: artifact type, typed config, annotation file, plain HTTP, registry config, JSON output, typed layer', () => {
    const args = orasPushArgs(parseReference('redis:7.2.0', defaults), settings(), {config: '/t/config.json', layer: '/t/redis-7.2.0.tar.gz', annotations: '/t/a.json'})
    expect(args.slice(0, 2)).toEqual(['push', 'localhost:5000/ext/redis:7.2.0'])
    expect(args).toEqual(expect.arrayContaining(['--artifact-type', MediaType.extensionArtifact, '--config', `/t/config.json:${MediaType.extensionConfig}`, '--annotation-file', '/t/a.json', '--plain-http', '--format', 'json']))
    expect(args.join(' ')).toContain('--registry-config /home/u/.provisioning/auth.json')
    // The layer is named by its base name (run in its folder) so oras titles it like the native engine.
    expect(args.at(-1)).toBe(`redis-7.2.0.tar.gz:${MediaType.layerTarGzip}`)
  })

  it('uses TLS flags only when configured, and --oci-layout for layout stores', () => {
    const tls = orasPushArgs(parseReference('redis:1.0.0', defaults), settings({tlsEnabled: true, caFile: '/ca.pem', insecure: true}), {config: 'c', layer: 'l', annotations: 'a'})
    expect(tls).not.toContain('--plain-http')
    expect(tls).toEqual(expect.arrayContaining(['--ca-file', '/ca.pem', '--insecure']))
    const layout = orasPullArgs(parseReference('oci-layout:///store/ext/redis:1.0.0', defaults), settings(), '/out')
    expect(layout.slice(0, 2)).toEqual(['pull', '/store/ext/redis:1.0.0'])
    expect(layout).toContain('--oci-layout')
    expect(layout).not.toContain('--plain-http')
  })

  it('plain HTTP only for the configured registry and loopback hosts, as the native engine', () => {
    const plain = (host: string) => orasPullArgs(parseReference(`oci://${host}/ns/redis:1.0.0`, defaults), settings({registry: 'registry.internal:5000'}), '/out').includes('--plain-http')
    expect(plain('registry.internal:5000')).toBe(true)
    expect(plain('127.0.0.1:5000')).toBe(true)
    expect(plain('harbor.example.com')).toBe(false)
    const copy = orasCopyArgs(parseReference('oci://harbor.example.com/ns/a:1', defaults), parseReference('oci://localhost:5000/ns/a:1', defaults), settings(), 4)
    expect(copy).toContain('--to-plain-http')
    expect(copy).not.toContain('--from-plain-http')
  })

  it('copy, tags, login and delete', () => {
    const copy = orasCopyArgs(parseReference('redis:1.0.0', defaults), parseReference('oci-layout:///m/redis:1.0.0', defaults), settings(), 8)
    expect(copy).toEqual(expect.arrayContaining(['cp', 'localhost:5000/ext/redis:1.0.0', '/m/redis:1.0.0', '--from-plain-http', '--to-oci-layout', '--concurrency', '8']))
    expect(orasTagsArgs(parseReference('redis', defaults), settings()).slice(0, 3)).toEqual(['repo', 'tags', 'localhost:5000/ext/redis'])
    const login = orasLoginArgs('harbor.example.com', 'ci', settings({tlsEnabled: true}))
    expect(login).toEqual(expect.arrayContaining(['login', 'harbor.example.com', '--username', 'ci', '--password-stdin']))
    expect(login.join(' ')).not.toMatch(/--password\s/)
    expect(orasDeleteArgs(parseReference('redis:1.0.0', defaults), settings())).toEqual(expect.arrayContaining(['manifest', 'delete', 'localhost:5000/ext/redis:1.0.0', '--force']))
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
    expect(parseOrasPush(JSON.stringify({reference: 'localhost:5000/ext/redis@' + digest, mediaType: MediaType.imageManifest, digest, size: 600}))).toEqual({digest, reference: `localhost:5000/ext/redis@${digest}`})
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

// The oras binary cannot be installed on the project's build machines; where it is on
// PATH, these run the real thing against the layout store (no registry needed).
const oras = await findBinary('oras', {env: process.env, cwd: process.cwd()})
describe.runIf(oras)('real oras', () => {
  it('pushes to an OCI layout the same manifest digest the native engine computes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oras-real-'))
    try {
      const {orasPush} = await import('../../../src/lib/oci/oras-engine.js')
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
