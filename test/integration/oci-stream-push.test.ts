import {randomBytes} from 'node:crypto'
import {cp, mkdir, open, readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, repoRoot, runCli} from '../helpers/cli.js'
import {sha256} from '../helpers/oci-layout.js'
import {useRegistry} from '../helpers/registry.js'
import {skopeoCopy, skopeoInspectRaw} from '../helpers/skopeo.js'
import {readTree} from '../helpers/tree.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * Large layers are packaged to a temp file while hashed, then streamed from disk to the
 * registry (push), and blobs of an OCI layout are streamed the same way (copy): skopeo,
 * the independent reader, must find exactly the bytes `oci package` writes, and a damaged
 * layout blob must be refused (exit 8) without the registry keeping anything.
 */
const REDIS = path.join(repoRoot, 'templates/examples/taskservs/redis/7.2.0')
const NS = 'provisioning-extensions'
/** Above the 8 MiB spool threshold, random so that compression cannot bring it below. */
const PAYLOAD_BYTES = 10 * 1024 * 1024

interface PushJson {
  digest: string
  transferred: number
  skipped: number
}
interface InspectJson {
  digest: string
  layers: Array<{digest: string; size: number}>
}

/** readTree with contents as digests: deep equality of 10 MiB buffers is far too slow in vitest. */
async function hashedTree(root: string): Promise<Record<string, unknown>> {
  const tree = await readTree(root)
  return Object.fromEntries(Object.entries(tree).map(([name, {content, ...rest}]) => [name, {...rest, ...(content ? {content: sha256(content)} : {})}]))
}

function expectExit(result: CliResult, code: number): CliResult {
  if (result.exitCode !== code) throw new Error(`expected exit ${code}, got ${result.exitCode}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  return result
}

describe('streamed uploads of large layers (real registry, skopeo, built CLI)', () => {
  const registry = useRegistry()
  let box: Sandbox
  let env: Record<string, string | undefined>
  let ext: string

  const cliJson = async <T>(args: string[], extra: Record<string, string | undefined> = env) =>
    json<T>(expectExit(await runCli([...args, '--json'], {env: extra}), 0))

  beforeAll(async () => {
    box = await sandbox()
    env = {...box.env, PROVISIONING_OCI__REGISTRY: registry().host, PROVISIONING_OCI__TOOL: 'native', SOURCE_DATE_EPOCH: undefined}
    ext = path.join(box.root, 'src', 'redis')
    await cp(REDIS, ext, {recursive: true})
    await mkdir(path.join(ext, 'files'), {recursive: true})
    await writeFile(path.join(ext, 'files', 'payload.bin'), randomBytes(PAYLOAD_BYTES))
  })
  afterAll(async () => {
    await box?.cleanup()
  })

  it('pushes a large extension that skopeo reads back byte for byte, and leaves no temp file', async () => {
    const pushed = await cliJson<PushJson>(['oci', 'push', ext])
    expect(pushed.transferred).toBe(2)
    const pkg = await cliJson<{path: string; digest: string; size: number}>(['oci', 'package', ext, '--output', path.join(box.root, 'pkg')])
    const tarball = await readFile(pkg.path)
    expect(tarball.length).toBeGreaterThan(PAYLOAD_BYTES)

    const source = `docker://${registry().host}/${NS}/redis:7.2.0`
    const manifest = JSON.parse(await skopeoInspectRaw(source)) as InspectJson
    expect(manifest.layers[0]).toMatchObject({digest: pkg.digest, size: tarball.length})
    const copied = path.join(box.root, 'skopeo-layout')
    await skopeoCopy(source, `oci:${copied}:7.2.0`, {src: {tlsVerify: false}})
    expect((await readFile(path.join(copied, 'blobs/sha256', pkg.digest.slice(7)))).equals(tarball)).toBe(true)

    // The spool folder of the blob cache holds nothing once the push is over.
    const spool = path.join(box.home, 'cache', 'oci', 'tmp')
    expect(await readdir(spool).catch(() => [])).toEqual([])

    // Unchanged: nothing is sent again.
    const again = await cliJson<PushJson>(['oci', 'push', ext])
    expect(again).toMatchObject({digest: pushed.digest, transferred: 0, skipped: 2})

    const out = path.join(box.root, 'pulled')
    await cliJson(['oci', 'pull', 'redis:7.2.0', '--output', out])
    expect(await hashedTree(out)).toEqual(await hashedTree(ext))
  })

  it('copies a large blob out of an OCI layout as a stream; a damaged one is exit 8 and the registry keeps nothing', async () => {
    const store = path.join(box.root, 'store')
    const layoutEnv = {...env, PROVISIONING_OCI__REGISTRY: `oci-layout://${store}`}
    const pushed = await cliJson<PushJson>(['oci', 'push', ext], layoutEnv)
    const layout = path.join(store, NS, 'redis')

    const copy = await cliJson<{digest: string; transferred: number}>([
      'oci',
      'copy',
      `oci-layout://${layout}:7.2.0`,
      `oci://${registry().host}/copied/redis:7.2.0`,
    ])
    expect(copy).toMatchObject({digest: pushed.digest, transferred: 2})
    expect(sha256(await skopeoInspectRaw(`docker://${registry().host}/copied/redis:7.2.0`))).toBe(pushed.digest)

    // Same size, one byte flipped in the middle of the layer blob.
    const inspected = await cliJson<InspectJson>(['oci', 'inspect', `oci-layout://${layout}:7.2.0`], layoutEnv)
    const blob = path.join(layout, 'blobs', 'sha256', inspected.layers[0].digest.slice(7))
    const handle = await open(blob, 'r+')
    try {
      const at = Math.floor(inspected.layers[0].size / 2)
      const byte = Buffer.alloc(1)
      await handle.read(byte, 0, 1, at)
      byte[0] ^= 0xff
      await handle.write(byte, 0, 1, at)
    } finally {
      await handle.close()
    }
    const damaged = expectExit(
      await runCli(['oci', 'copy', `oci-layout://${layout}:7.2.0`, `oci://${registry().host}/damaged/redis:7.2.0`, '--json'], {env}),
      8,
    )
    expect((JSON.parse(damaged.stdout) as {error: {message: string}}).error.message).toMatch(/digest mismatch/)
    const head = await fetch(`${registry().url}/v2/damaged/redis/blobs/${inspected.layers[0].digest}`, {method: 'HEAD'})
    expect(head.status).toBe(404)
    const tag = await fetch(`${registry().url}/v2/damaged/redis/manifests/7.2.0`, {method: 'HEAD'})
    expect(tag.status).toBe(404)
  })
})
