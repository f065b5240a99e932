import {createHash, randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, readdir, readFile, truncate, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type FaultProxyHandle, startFaultProxy} from '../fixtures/fault-proxy.js'
import {type CliResult, runCli} from '../helpers/cli.js'
import {blobPath, useRegistry} from '../helpers/registry.js'
import {pushArtifact} from '../helpers/registry-http.js'
import type {TarEntry} from '../helpers/tar.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §8.3 "Integrity" and "Extraction" for layers large enough (>= 4 MiB) to be pulled
 * in one streaming pass (hashed, cached and unpacked while they arrive): the output and the
 * cache entry appear only once the digest checked out; corrupt, truncated or hostile
 * content is exit 8 and leaves no output, no cache entry and no temp file or folder.
 */
const NAMESPACE = 'provisioning-extensions'
const CONFIG_MEDIA_TYPE = 'application/vnd.provisioning.extension.config.v1+json'
const ARTIFACT_TYPE = 'application/vnd.provisioning.extension.v1'
const LEFTOVER = /^\.[^/]*\.(extract|old)-/
/** Random, so gzip cannot shrink the layer below the streaming threshold. */
const PAYLOAD_BYTES = 6 * 1024 * 1024

interface Descriptor {
  digest: string
  size: number
}
interface ErrorDoc {
  error: {code: string; message: string; exit: number}
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`

function expectExit(result: CliResult, code: number): void {
  if (result.exitCode !== code) throw new Error(`expected exit ${code}, got ${result.exitCode}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
}

function errorOf(result: CliResult): ErrorDoc['error'] {
  return (JSON.parse(result.stdout) as ErrorDoc).error
}

describe('oci pull of a large layer (streaming path, real registry, built CLI)', () => {
  const registry = useRegistry()
  let proxy: FaultProxyHandle
  let box: Sandbox
  let env: Record<string, string>

  beforeAll(async () => {
    proxy = await startFaultProxy({target: registry().url})
    box = await sandbox()
    env = {...box.env, PROVISIONING_OCI__REGISTRY: registry().host, PROVISIONING_OCI__TOOL: 'native'}
  })
  afterAll(async () => {
    await proxy?.stop()
    await box?.cleanup()
  })

  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, {env: {...env, ...extraEnv}, cwd: box.root})
  const cacheDir = () => path.join(box.home, 'cache', 'oci', 'blobs', 'sha256')
  const cacheFile = (digest: string) => path.join(cacheDir(), digest.slice('sha256:'.length))

  async function seeded(name: string, extra: TarEntry[] = []): Promise<{layer: Descriptor; payload: Buffer}> {
    const payload = randomBytes(PAYLOAD_BYTES)
    const entries: TarEntry[] = [
      {name: 'manifest.yaml', content: `name: ${name}\ntype: taskserv\nversion: 1.0.0\n`},
      {name: 'data/payload.bin', content: payload},
      ...extra,
    ]
    const {manifest} = await pushArtifact(registry().url, `${NAMESPACE}/${name}`, '1.0.0', {
      config: {name, type: 'taskserv', version: '1.0.0'},
      configMediaType: CONFIG_MEDIA_TYPE,
      artifactType: ARTIFACT_TYPE,
      layer: entries,
    })
    const layer = manifest.layers[0]
    expect(layer.size).toBeGreaterThan(4 * 1024 * 1024)
    return {layer, payload}
  }

  /** No output folder, no staging folder next to it, no cache entry and no cache temp file. */
  async function expectNothingLeft(output: string, layer: Descriptor): Promise<void> {
    expect(existsSync(output)).toBe(false)
    expect((await readdir(path.dirname(output)).catch(() => [] as string[])).filter((n) => LEFTOVER.test(n))).toEqual([])
    expect(existsSync(cacheFile(layer.digest))).toBe(false)
    expect((await readdir(cacheDir()).catch(() => [] as string[])).filter((n) => n.endsWith('.tmp'))).toEqual([])
  }

  it('unpacks and caches a large layer; the next pull comes from the cache', async () => {
    const {layer, payload} = await seeded('stream-ok')
    const output = path.join(box.root, 'pulls', 'stream-ok')
    const result = await cli(['oci', 'pull', 'stream-ok:1.0.0', '--output', output, '--json'])
    expectExit(result, 0)
    expect(JSON.parse(result.stdout)).toMatchObject({cached: false, files: 2})
    expect(sha256(await readFile(path.join(output, 'data', 'payload.bin')))).toBe(sha256(payload))
    expect(sha256(await readFile(cacheFile(layer.digest)))).toBe(layer.digest)
    expect((await readdir(cacheDir())).filter((n) => n.endsWith('.tmp'))).toEqual([])

    const again = await cli(['oci', 'pull', 'stream-ok:1.0.0', '--output', `${output}-2`, '--json'])
    expectExit(again, 0)
    expect(JSON.parse(again.stdout)).toMatchObject({cached: true})
  })

  for (const [label, damage] of [
    ['every byte flipped (gzip fails at once)', (data: Buffer) => Buffer.from(data.map((byte) => byte ^ 0xff))],
    [
      'one byte flipped inside the payload (the archive still unpacks)',
      (data: Buffer) => {
        const copy = Buffer.from(data)
        copy[Math.floor(copy.length / 2)] ^= 0x01
        return copy
      },
    ],
  ] as const) {
    it(`a layer corrupted in the registry storage, ${label}: exit 8 (digest mismatch, or a corrupt archive when gzip fails first), nothing cached or written`, async () => {
      const name = `stream-corrupt-${label.startsWith('every') ? 'all' : 'one'}`
      const {layer} = await seeded(name)
      const file = blobPath(registry(), layer.digest)
      await writeFile(file, damage(await readFile(file)))

      const output = path.join(box.root, 'pulls', name)
      const result = await cli(['oci', 'pull', `${name}:1.0.0`, '--output', output, '--json'])
      expectExit(result, 8)
      const error = errorOf(result)
      expect(error).toMatchObject({code: 'E_INTEGRITY', exit: 8})
      expect(error.message).toContain(layer.digest)
      // An archive refused mid-stream stops the download there (layer-stream.ts), so content
      // whose gzip fails at once is reported as corrupt before its digest could be checked.
      expect(error.message).toMatch(label.startsWith('every') ? /archive is corrupt.*download was stopped/ : /digest mismatch/)
      await expectNothingLeft(output, layer)

      // An existing output folder passed with --yes is left exactly as it was.
      const existing = path.join(box.root, 'pulls', `${name}-existing`)
      await mkdir(existing, {recursive: true})
      await writeFile(path.join(existing, 'keep.txt'), 'keep me\n')
      const human = await cli(['oci', 'pull', `${name}:1.0.0`, '--output', existing, '--yes'])
      expectExit(human, 8)
      expect(await readdir(existing)).toEqual(['keep.txt'])
      expect(await readFile(path.join(existing, 'keep.txt'), 'utf8')).toBe('keep me\n')
      expect((await readdir(path.dirname(existing))).filter((n) => LEFTOVER.test(n))).toEqual([])
      expect(existsSync(cacheFile(layer.digest))).toBe(false)
    })
  }

  it('a layer truncated in the registry storage: exit 8, nothing cached or written', async () => {
    const {layer} = await seeded('stream-short')
    await truncate(blobPath(registry(), layer.digest), Math.floor(layer.size / 2))
    const output = path.join(box.root, 'pulls', 'stream-short')
    const result = await cli(['oci', 'pull', 'stream-short:1.0.0', '--output', output, '--json'])
    expectExit(result, 8)
    expect(errorOf(result).code).toBe('E_INTEGRITY')
    await expectNothingLeft(output, layer)
  })

  it('a hostile entry after a large file: exit 8 unsafe entry, nothing cached or written', async () => {
    const {layer} = await seeded('stream-hostile', [{name: '../escape.txt', content: 'pwned\n'}])
    const output = path.join(box.root, 'pulls', 'stream-hostile')
    const result = await cli(['oci', 'pull', 'stream-hostile:1.0.0', '--output', output, '--json'])
    expectExit(result, 8)
    expect(errorOf(result).message).toMatch(/unsafe archive entry/)
    await expectNothingLeft(output, layer)
    expect(existsSync(path.join(box.root, 'pulls', 'escape.txt'))).toBe(false)
  })

  describe('through the fault proxy', () => {
    const viaProxy = () => ({PROVISIONING_OCI__REGISTRY: proxy.host})

    it('a body truncated mid-stream once is retried from scratch and succeeds', async () => {
      const {layer, payload} = await seeded('stream-truncated-once')
      proxy.clear()
      proxy.plan([{match: {method: 'GET', pathRegex: layer.digest}, fault: 'truncate'}])
      const output = path.join(box.root, 'pulls', 'stream-truncated-once')
      const result = await cli(['oci', 'pull', 'stream-truncated-once:1.0.0', '--output', output, '--json'], viaProxy())
      expectExit(result, 0)
      expect(proxy.requests.filter((r) => r.path.includes(layer.digest)).map((r) => r.fault ?? r.status)).toEqual(['truncate', 200])
      expect(sha256(await readFile(path.join(output, 'data', 'payload.bin')))).toBe(sha256(payload))
      expect(await readdir(output)).toEqual(['data', 'manifest.yaml'])
      expect((await readdir(path.dirname(output))).filter((n) => LEFTOVER.test(n))).toEqual([])
      expect((await readdir(cacheDir())).filter((n) => n.endsWith('.tmp'))).toEqual([])
    })

    it('a body truncated mid-stream on every attempt: exit 8, nothing cached or written', async () => {
      const {layer} = await seeded('stream-truncated-always')
      proxy.clear()
      proxy.plan([{match: {method: 'GET', pathRegex: layer.digest}, fault: 'truncate', times: Infinity}])
      const output = path.join(box.root, 'pulls', 'stream-truncated-always')
      const result = await cli(['oci', 'pull', 'stream-truncated-always:1.0.0', '--output', output, '--json'], viaProxy())
      proxy.clear()
      expectExit(result, 8)
      const error = errorOf(result)
      expect(error.code).toBe('E_INTEGRITY')
      expect(error.message).toContain(layer.digest)
      expect(error.message).toMatch(/cut short/)
      await expectNothingLeft(output, layer)
    })
  })
})
