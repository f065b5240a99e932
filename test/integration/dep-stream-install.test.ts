import {createHash, randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {cp, mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, type ErrorDoc, installedDirs, publish, type ResolveDoc, spawnCli, spawnMeasured, writeExtension} from '../helpers/deps.js'
import {blobPath, useRegistry} from '../helpers/registry.js'
import {readFiles, readTree} from '../helpers/tree.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §9.3 install and §8.3 integrity for extensions whose layer is large (>= 4 MiB): `dep
 * resolve` fills the blob cache by streaming and unpacks from the cache file, so the process
 * never holds the layer in memory, while every integrity guarantee of the buffered path
 * holds (damaged cache entries refetched, --offline refuses to fetch, corrupt content is
 * exit 8 and changes nothing).
 */
const NAMESPACE = 'provisioning-extensions'
/** Random, so the adaptive gzip stores it and the layer is as large as the payload. */
const BIG_PAYLOAD_BYTES = 64 * 1024 * 1024
/** Above the streaming threshold, small enough to publish quickly. */
const BAD_PAYLOAD_BYTES = 6 * 1024 * 1024
/**
 * Allowed peak memory above a dep resolve of a tiny extension: the layer is 64 MiB, the buffered path took +160 MiB
 * (Node 20), streaming +14–48 MiB on Node 20. Node 24's V8 lets more spent 1 MiB read chunks (external memory) wait
 * for a collection: +42 MiB from a registry, up to +121 MiB from a layout (file reads and gunzip output), measured
 * with the young generation pinned too, so it is not new-space sizing. It does not grow with the layer: `oci pull` from
 * a layout peaks at the same RSS for 100 and 300 MB (Node 20 ~105 MB, Node 24 ~135 MB). Tests run the CLI on the vitest
 * process's Node.
 */
const MEMORY_MARGIN_KIB = (Number(process.versions.node.split('.')[0]) >= 22 ? 140 : 64) * 1024
const MANIFEST_ACCEPT = 'application/vnd.oci.image.manifest.v1+json'

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`

/** Regular files of a tree as path -> mode + digest (64 MiB contents stay out of diffs). */
async function fileDigests(dir: string): Promise<Record<string, string>> {
  const files = await readFiles(dir)
  return Object.fromEntries(Object.entries(files).map(([rel, entry]) => [rel, `${entry.mode} ${entry.content ? sha256(entry.content) : entry.target}`]))
}

/** The whole workspace (folders, modes, bytes), for "nothing changed" checks. */
async function snapshot(ws: string): Promise<Record<string, string>> {
  const tree = await readTree(ws)
  return Object.fromEntries(Object.entries(tree).map(([rel, e]) => [rel, `${e.type} ${e.mode} ${e.content ? sha256(e.content) : (e.target ?? '')}`]))
}

function expectExit(result: CliResult, code: number): void {
  if (result.exitCode !== code) throw new Error(`expected exit ${code}, got ${result.exitCode}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
}

describe('dep resolve of an extension with a large layer (streamed through the blob cache)', () => {
  const registry = useRegistry()
  let box: Sandbox
  let sources: string
  let bigLayer: string
  let badLayer: string
  /** Peak memory (VmHWM, KiB) of a dep resolve of a tiny extension, the baseline. */
  let tinyPeakKiB: number

  const cacheDir = () => path.join(box.home, 'cache', 'oci', 'blobs', 'sha256')
  const cacheFile = (digest: string) => path.join(cacheDir(), digest.slice('sha256:'.length))
  const cacheTemps = async () => (await readdir(cacheDir()).catch(() => [] as string[])).filter((n) => n.endsWith('.tmp'))

  async function layerDigest(name: string): Promise<string> {
    const res = await fetch(`${registry().url}/v2/${NAMESPACE}/${name}/manifests/1.0.0`, {headers: {accept: MANIFEST_ACCEPT}})
    const manifest = (await res.json()) as {layers: Array<{digest: string; size: number}>}
    expect(manifest.layers[0].size).toBeGreaterThan(4 * 1024 * 1024)
    return manifest.layers[0].digest
  }

  /**
   * `dep resolve --json` as a child process whose VmHWM (peak resident set) is polled while it
   * runs. A high-water mark only grows, so the last successful read is the peak (once the
   * process exited, its status has no memory lines any more).
   */
  async function resolveMeasured(ws: string, args: string[] = []): Promise<{result: CliResult; peakKiB: number}> {
    return measured(['dep', 'resolve', '--json', ...args], ws)
  }

  const measured = async (args: string[], cwd: string) => spawnMeasured(args, {env: box.env, cwd})

  async function workspaceFor(name: string, extension: string): Promise<string> {
    const ws = await bareWorkspace(box.root, name)
    await declare(ws, {registry: registry().host}, {taskservs: [`${extension}:1.0.0`]})
    return ws
  }

  beforeAll(async () => {
    box = await sandbox()
    sources = path.join(box.root, 'sources')
    await writeExtension(path.join(sources, 'tiny'), {name: 'tiny', version: '1.0.0'}, {'README.md': '# tiny\n'})
    await writeExtension(
      path.join(sources, 'big'),
      {name: 'big', version: '1.0.0'},
      {'data/payload.bin': randomBytes(BIG_PAYLOAD_BYTES), 'README.md': '# big\n'},
    )
    await writeExtension(path.join(sources, 'big-bad'), {name: 'big-bad', version: '1.0.0'}, {'data/payload.bin': randomBytes(BAD_PAYLOAD_BYTES)})
    await publish(
      registry().host,
      box.env,
      ['tiny', 'big', 'big-bad'].map((n) => path.join(sources, n)),
    )
    bigLayer = await layerDigest('big')
    badLayer = await layerDigest('big-bad')
  }, 120_000)
  afterAll(async () => {
    await box?.cleanup()
  })

  it('installs a 64 MiB layer byte for byte and caches it, with peak memory far below the layer size', async () => {
    const tiny = await resolveMeasured(await workspaceFor('ws-tiny', 'tiny'))
    expectExit(tiny.result, 0)
    tinyPeakKiB = tiny.peakKiB
    expect(tinyPeakKiB).toBeGreaterThan(0)

    const ws = await workspaceFor('ws-big', 'big')
    const big = await resolveMeasured(ws)
    expectExit(big.result, 0)
    expect(json<ResolveDoc>(big.result).installed).toEqual(['big'])
    const installed = await installedDirs(ws)
    expect(Object.keys(installed)).toEqual(['taskservs/big'])
    expect(await fileDigests(installed['taskservs/big'])).toEqual(await fileDigests(path.join(sources, 'big')))
    expect(sha256(await readFile(cacheFile(bigLayer)))).toBe(bigLayer)
    expect(await cacheTemps()).toEqual([])

    console.log(`dep resolve VmHWM: tiny extension ${tinyPeakKiB} KiB, 64 MiB extension ${big.peakKiB} KiB (+${big.peakKiB - tinyPeakKiB} KiB)`)
    expect(big.peakKiB).toBeLessThan(tinyPeakKiB + MEMORY_MARGIN_KIB)
  }, 120_000)

  it('a cache entry damaged on disk is dropped, downloaded again and installed correctly', async () => {
    const ws = path.join(box.root, 'ws-big')
    const file = cacheFile(bigLayer)
    const data = await readFile(file)
    for (const at of [0, Math.floor(data.length / 2), data.length - 1]) data[at] ^= 0xff
    await writeFile(file, data)
    await rm(path.join(ws, 'extensions', 'taskservs', 'big'), {recursive: true})

    const again = await resolveMeasured(ws)
    expectExit(again.result, 0)
    expect(json<ResolveDoc>(again.result).installed).toEqual(['big'])
    expect(await fileDigests(path.join(ws, 'extensions', 'taskservs', 'big'))).toEqual(await fileDigests(path.join(sources, 'big')))
    expect(sha256(await readFile(file))).toBe(bigLayer)
    expect(await cacheTemps()).toEqual([])
    expect(again.peakKiB).toBeLessThan(tinyPeakKiB + MEMORY_MARGIN_KIB)
  }, 120_000)

  /** Starts `dep resolve` and SIGKILLs it as soon as `ready()` holds; false when it finished first. */
  async function killWhen(ws: string, ready: () => Promise<boolean>): Promise<boolean> {
    const child = spawnCli(['dep', 'resolve', '--json'], {env: box.env, cwd: ws})
    let exited = false
    void child.then(() => (exited = true))
    while (!exited && !(await ready())) await sleep(2)
    const killed = !exited && child.kill('SIGKILL')
    await child
    return killed
  }

  it('a run killed while downloading or while unpacking the large layer is finished by the next run', async () => {
    const ws = path.join(box.root, 'ws-big')
    const state = path.join(ws, 'extensions', '.installed.json')
    const group = path.join(ws, 'extensions', 'taskservs')
    const stateBefore = await readFile(state, 'utf8')
    await rm(path.join(group, 'big'), {recursive: true})
    await rm(cacheFile(bigLayer))

    // Mid-download: nothing in the workspace has changed yet (prefetch comes first).
    const growing = async () => {
      for (const temp of await cacheTemps()) if ((await readFile(path.join(cacheDir(), temp)).catch(() => Buffer.alloc(0))).length > 0) return true
      return false
    }
    expect(await killWhen(ws, growing)).toBe(true)
    expect(existsSync(cacheFile(bigLayer))).toBe(false)
    expect(await readFile(state, 'utf8')).toBe(stateBefore)
    expect(await installedDirs(ws)).toEqual({})
    // The killed download's temp file is named after its (now dead) process: `workspace
    // cleanup` recognizes it and removes it, and nothing else in the cache.
    const temps = await cacheTemps()
    expect(temps.length).toBeGreaterThan(0)
    const cleanup = await runCli(['workspace', 'cleanup', ws, '--json'], {env: box.env, cwd: ws})
    expectExit(cleanup, 0)
    const removed = json<{removed: Array<{path: string; kind: string}>}>(cleanup).removed
    for (const temp of temps) expect(removed.map((r) => r.path)).toContain(path.join(cacheDir(), temp))
    expect(await cacheTemps()).toEqual([])

    // Mid-extraction (the cache is warm now): only a staging folder, repaired by the next run.
    const first = await resolveMeasured(ws)
    expectExit(first.result, 0)
    await rm(path.join(group, 'big'), {recursive: true})
    const staging = async () => (await readdir(group)).some((n) => n.startsWith('.big.extract-'))
    expect(await killWhen(ws, staging)).toBe(true)
    expect(existsSync(path.join(group, 'big'))).toBe(false)

    const again = await resolveMeasured(ws)
    expectExit(again.result, 0)
    expect(json<ResolveDoc>(again.result).installed).toEqual(['big'])
    expect(await fileDigests(path.join(group, 'big'))).toEqual(await fileDigests(path.join(sources, 'big')))
    expect(await readdir(group)).toEqual(['big'])
  }, 120_000)

  it('from an OCI layout store too: the blob file is copied into the cache in pieces, never read whole', async () => {
    const store = path.join(box.root, 'layout-store')
    await publish(`oci-layout://${store}`, box.env, [path.join(sources, 'big')])
    const ws = await bareWorkspace(box.root, 'ws-layout')
    await declare(ws, {registry: `oci-layout://${store}`}, {taskservs: ['big:1.0.0']})
    await rm(cacheFile(bigLayer), {force: true})
    const fromLayout = await resolveMeasured(ws)
    expectExit(fromLayout.result, 0)
    expect(json<ResolveDoc>(fromLayout.result).installed).toEqual(['big'])
    expect(await fileDigests(path.join(ws, 'extensions', 'taskservs', 'big'))).toEqual(await fileDigests(path.join(sources, 'big')))
    expect(sha256(await readFile(cacheFile(bigLayer)))).toBe(bigLayer)
    expect(fromLayout.peakKiB).toBeLessThan(tinyPeakKiB + MEMORY_MARGIN_KIB)

    // `oci pull` of the same layout artifact, with an empty cache: the same path.
    await rm(cacheFile(bigLayer))
    const out = path.join(box.root, 'pulled-from-layout')
    const pulled = await measured(['oci', 'pull', `oci-layout://${store}/${NAMESPACE}/big:1.0.0`, '--output', out, '--json'], box.root)
    expectExit(pulled.result, 0)
    expect(await fileDigests(out)).toEqual(await fileDigests(path.join(sources, 'big')))
    expect(sha256(await readFile(cacheFile(bigLayer)))).toBe(bigLayer)
    expect(pulled.peakKiB).toBeLessThan(tinyPeakKiB + MEMORY_MARGIN_KIB)
  }, 120_000)

  it('from a local source too: the folder is packaged to a temp file and unpacked from it, never held whole', async () => {
    const local = path.join(box.root, 'local-src')
    await mkdir(path.join(local, 'taskservs', 'big'), {recursive: true})
    await cp(path.join(sources, 'big'), path.join(local, 'taskservs', 'big'), {recursive: true})
    const ws = await bareWorkspace(box.root, 'ws-local')
    await declare(ws, {local}, {taskservs: ['big']})
    const spools = async () => (await readdir(path.join(box.home, 'cache', 'oci', 'tmp')).catch(() => [] as string[])).filter((n) => n.startsWith('.spool-'))
    const fromLocal = await resolveMeasured(ws)
    expectExit(fromLocal.result, 0)
    expect(json<ResolveDoc>(fromLocal.result).installed).toEqual(['big'])
    expect(await fileDigests(path.join(ws, 'extensions', 'taskservs', 'big'))).toEqual(await fileDigests(path.join(sources, 'big')))
    expect(fromLocal.peakKiB).toBeLessThan(tinyPeakKiB + MEMORY_MARGIN_KIB)
    expect(await spools()).toEqual([])
  }, 120_000)

  it('--offline with the large layer missing from the cache: the offline error, the workspace unchanged', async () => {
    // Resolving offline needs the tag index and manifests, which the runs above cached.
    const ws = await workspaceFor('ws-offline', 'big')
    await rm(cacheFile(bigLayer))
    const before = await snapshot(ws)

    const {result} = await resolveMeasured(ws, ['--offline'])
    expectExit(result, 6)
    expect(json<ErrorDoc>(result).error).toMatchObject({code: 'E_REGISTRY', exit: 6})
    expect(json<ErrorDoc>(result).error.message).toMatch(/content of big@1\.0\.0 is not in the cache, and --offline forbids fetching it/)
    expect(await snapshot(ws)).toEqual(before)
    expect(existsSync(cacheFile(bigLayer))).toBe(false)
  })

  it('a large layer corrupted in the registry storage: exit 8, nothing installed or cached, the workspace as before', async () => {
    const file = blobPath(registry(), badLayer)
    const data = await readFile(file)
    data[Math.floor(data.length / 2)] ^= 0x01
    await writeFile(file, data)
    const ws = await workspaceFor('ws-bad', 'big-bad')
    const before = await snapshot(ws)

    const {result} = await resolveMeasured(ws)
    expectExit(result, 8)
    const {error} = json<ErrorDoc>(result)
    expect(error).toMatchObject({code: 'E_INTEGRITY', exit: 8})
    expect(error.message).toContain(badLayer)
    expect(error.message).toMatch(/digest mismatch/)
    expect(await installedDirs(ws)).toEqual({})
    expect(existsSync(cacheFile(badLayer))).toBe(false)
    expect(await cacheTemps()).toEqual([])
    expect(await snapshot(ws)).toEqual(before)
  })
})
