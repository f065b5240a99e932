import {existsSync} from 'node:fs'
import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type FaultProxyHandle, type ProxyRequestLog, startFaultProxy} from '../fixtures/fault-proxy.js'
import {type CliResult, runCli} from '../helpers/cli.js'
import {OCI_MANIFEST} from '../helpers/oci-layout.js'
import {freePort} from '../helpers/processes.js'
import {type RegistryHandle, startRegistry, useRegistry} from '../helpers/registry.js'
import {pushArtifact} from '../helpers/registry-http.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'
import {type Descriptor, type ErrorDoc, type Manifest, sha256} from '../helpers/oci-types.js'

/**
 * SPEC §8.3 retries and §3 exit codes, end to end: the built CLI talks to a real
 * distribution registry through the fault proxy, which injects 5xx, 429 + Retry-After,
 * connection resets, truncated bodies and outages. Transient faults are retried and the
 * command succeeds; lasting ones end with the documented exit code within a bounded time.
 *
 * Bound for an unreachable registry: oci.retries (default 3) gives 4 attempts; refused
 * connections fail at once and the backoff between attempts is 200, 400, 800 ms (x0.75-1.25
 * jitter), so a command gives up after about 2 s plus CLI start-up. The test allows 15 s.
 */
const NAMESPACE = 'provisioning-extensions'

const CONFIG_MEDIA_TYPE = 'application/vnd.provisioning.extension.config.v1+json'
const ARTIFACT_TYPE = 'application/vnd.provisioning.extension.v1'

/** The files of a small valid extension, with recognisable content. */
function extensionFiles(name: string, version = '1.0.0'): Record<string, string> {
  return {
    'manifest.yaml': `name: ${name}\ntype: taskserv\nversion: ${version}\ndescription: ${name} for fault tests\nlicense: Apache-2.0\n`,
    [`kcl/${name}.k`]: `schema ${name.replace(/\W/g, '_')}:\n    version: str = "${version}"\n`,
    'scripts/install.sh': `#!/bin/sh\necho installing ${name} ${version}\n`,
    // Some bulk, so that a truncated body is clearly short.
    'docs/README.md': `# ${name}\n\n${Array.from({length: 200}, (_, i) => `line ${i} of ${name}`).join('\n')}\n`,
  }
}

async function writeExtension(dir: string, name: string): Promise<Record<string, string>> {
  const files = extensionFiles(name)
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), {recursive: true})
    await writeFile(path.join(dir, file), content)
  }
  return files
}

function expectExit(result: CliResult, code: number): void {
  if (result.exitCode !== code) throw new Error(`expected exit ${code}, got ${result.exitCode}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
}

function errorOf(result: CliResult): ErrorDoc['error'] {
  try {
    return (JSON.parse(result.stdout) as ErrorDoc).error
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.exitCode}):\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  }
}

/**
 * Arrival time of every request the proxy logs. The fixture's log has no timestamps, so
 * its (shared, long-lived) array's push is wrapped to note the time of each entry.
 */
function timestamps(proxy: FaultProxyHandle): WeakMap<ProxyRequestLog, number> {
  const times = new WeakMap<ProxyRequestLog, number>()
  const original = proxy.requests.push.bind(proxy.requests)
  proxy.requests.push = (...items: ProxyRequestLog[]) => {
    for (const item of items) times.set(item, Date.now())
    return original(...items)
  }
  return times
}

/** The log entries after `entry` that repeat its method and path and succeeded. */
function laterSuccesses(log: ProxyRequestLog[], entry: ProxyRequestLog, samePath = (a: string, b: string) => a === b): ProxyRequestLog[] {
  return log.slice(log.indexOf(entry) + 1).filter((r) => r.method === entry.method && samePath(r.path, entry.path) && r.status !== null && r.status < 300)
}

const uploadPath = (p: string) => p.replace(/\/blobs\/uploads\/.*$/, '/blobs/uploads/')

describe('oci against a faulty registry (fault proxy, built CLI)', () => {
  const registry = useRegistry()
  let proxy: FaultProxyHandle
  let times: WeakMap<ProxyRequestLog, number>
  let box: Sandbox
  let env: Record<string, string>

  beforeAll(async () => {
    proxy = await startFaultProxy({target: registry().url})
    times = timestamps(proxy)
    box = await sandbox()
    env = {...box.env, PROVISIONING_OCI__REGISTRY: proxy.host, PROVISIONING_OCI__TOOL: 'native'}
  })
  afterAll(async () => {
    await proxy?.stop()
    await box?.cleanup()
  })

  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, {env: {...env, ...extraEnv}, cwd: box.root})

  async function extension(name: string): Promise<{dir: string; files: Record<string, string>}> {
    const dir = path.join(box.root, 'src', name)
    return {dir, files: await writeExtension(dir, name)}
  }

  /** The manifest as the registry itself (not the proxy) serves it. */
  async function registryManifest(name: string, tag = '1.0.0', reg: RegistryHandle = registry()): Promise<{manifest: Manifest; digest: string}> {
    const res = await fetch(`${reg.url}/v2/${NAMESPACE}/${name}/manifests/${tag}`, {headers: {accept: OCI_MANIFEST}})
    expect(res.status).toBe(200)
    const bytes = Buffer.from(await res.arrayBuffer())
    return {manifest: JSON.parse(bytes.toString('utf8')) as Manifest, digest: sha256(bytes)}
  }

  /** Seeds the registry directly over HTTP (no proxy, no CLI) with an extension artifact. */
  async function seeded(name: string): Promise<{manifest: Manifest; digest: string; files: Record<string, string>}> {
    const files = extensionFiles(name)
    const {manifest, digest} = await pushArtifact(registry().url, `${NAMESPACE}/${name}`, '1.0.0', {
      config: {name, type: 'taskserv', version: '1.0.0'},
      configMediaType: CONFIG_MEDIA_TYPE,
      artifactType: ARTIFACT_TYPE,
      layer: Object.entries(files).map(([file, content]) => ({name: file, content})),
      layerAnnotations: {'org.opencontainers.image.title': `${name}-1.0.0.tar.gz`},
    })
    return {manifest, digest, files}
  }

  async function expectPulled(output: string, files: Record<string, string>): Promise<void> {
    for (const [file, content] of Object.entries(files)) expect(await readFile(path.join(output, file), 'utf8')).toBe(content)
  }

  describe('transient faults are retried', () => {
    it('push: 429 with Retry-After: 1 on upload start, a reset on the blob upload, a 500 on the manifest PUT', async () => {
      const {dir} = await extension('flaky-push')
      proxy.clear()
      proxy.plan([
        {match: {method: 'POST', pathRegex: '/blobs/uploads/'}, fault: {status: 429, retryAfter: 1}},
        {match: {method: 'PUT', pathRegex: '/blobs/uploads/'}, fault: 'reset'},
        {match: {method: 'PUT', pathRegex: '/manifests/'}, fault: {status: 500}},
      ])
      // One transfer at a time, so the request after the 429 is its retry.
      const result = await cli(['oci', 'push', dir, '--concurrency', '1', '--json'])
      expectExit(result, 0)
      expect(proxy.pending()).toBe(0)
      const log = [...proxy.requests]

      const limited = log.find((r) => r.status === 429)!
      const retry = log[log.indexOf(limited) + 1]
      expect(retry).toMatchObject({method: 'POST', status: 202})
      expect(uploadPath(retry.path)).toBe(uploadPath(limited.path))
      const waited = times.get(retry)! - times.get(limited)!
      expect(waited).toBeGreaterThanOrEqual(950)
      expect(waited).toBeLessThan(5000)

      const reset = log.find((r) => r.fault === 'reset')!
      expect(reset).toMatchObject({method: 'PUT', status: null})
      // The upload is retried as a whole: a new session (POST) and a PUT that lands.
      expect(laterSuccesses(log, reset, (a, b) => uploadPath(a) === uploadPath(b)).length).toBeGreaterThanOrEqual(1)
      const failedManifest = log.find((r) => r.status === 500)!
      expect(failedManifest.method).toBe('PUT')
      expect(laterSuccesses(log, failedManifest)).toHaveLength(1)

      const stored = await registryManifest('flaky-push')
      expect(JSON.parse(result.stdout).digest).toBe(stored.digest)
    })

    it('pull: a reset on the manifest GET, a 503 on the config GET and a reset on the layer GET', async () => {
      const {manifest, files} = await seeded('flaky-pull')
      proxy.clear()
      proxy.plan([
        {match: {method: 'GET', pathRegex: '/manifests/'}, fault: 'reset'},
        {match: {method: 'GET', pathRegex: manifest.config.digest}, fault: {status: 503}},
        {match: {method: 'GET', pathRegex: manifest.layers[0].digest}, fault: 'reset'},
      ])
      const output = path.join(box.root, 'pulls', 'flaky-pull')
      const result = await cli(['oci', 'pull', 'flaky-pull:1.0.0', '--output', output, '--json'])
      expectExit(result, 0)
      expect(proxy.pending()).toBe(0)
      const log = [...proxy.requests]
      const faulted = log.filter((r) => r.fault)
      // Config and layer are fetched at the same time, so their faults come in either order.
      expect(faulted[0].fault).toBe('reset')
      expect(faulted.map((r) => r.fault).sort()).toEqual(['reset', 'reset', 'status 503'])
      for (const entry of faulted) expect(laterSuccesses(log, entry)).toHaveLength(1)
      await expectPulled(output, files)
    })

    it('tags: a 500 then a 503 on the tag list', async () => {
      await seeded('flaky-tags')
      proxy.clear()
      proxy.plan([
        {match: {method: 'GET', pathRegex: '/tags/list'}, fault: {status: 500}},
        {match: {method: 'GET', pathRegex: '/tags/list'}, fault: {status: 503}},
      ])
      const result = await cli(['oci', 'tags', 'flaky-tags', '--json'])
      expectExit(result, 0)
      expect(JSON.parse(result.stdout).tags.map((t: {tag: string}) => t.tag)).toEqual(['1.0.0'])
      expect(proxy.requests.filter((r) => r.path.includes('/tags/list')).map((r) => r.status)).toEqual([500, 503, 200])
    })

    it('pull: a truncated layer body is retried, never unpacked', async () => {
      const {manifest, files} = await seeded('truncated-once')
      const layer = manifest.layers[0]
      proxy.clear()
      proxy.plan([{match: {method: 'GET', pathRegex: layer.digest}, fault: 'truncate'}])
      const output = path.join(box.root, 'pulls', 'truncated-once')
      const result = await cli(['oci', 'pull', 'truncated-once:1.0.0', '--output', output, '--json'])
      expectExit(result, 0)
      const gets = proxy.requests.filter((r) => r.path.includes(layer.digest))
      expect(gets.map((r) => r.fault ?? r.status)).toEqual(['truncate', 200])
      await expectPulled(output, files)
    })
  })

  describe('lasting faults end with the documented exit code', () => {
    it('a layer body truncated on every attempt fails (exit 8): nothing cached, nothing unpacked', async () => {
      const {manifest} = await seeded('truncated-always')
      const layer = manifest.layers[0]
      proxy.clear()
      proxy.plan([{match: {method: 'GET', pathRegex: layer.digest}, fault: 'truncate', times: Infinity}])
      const output = path.join(box.root, 'pulls', 'truncated-always')
      const result = await cli(['oci', 'pull', 'truncated-always:1.0.0', '--output', output, '--json'])
      proxy.clear()
      expectExit(result, 8)
      const error = errorOf(result)
      expect(error.code).toBe('E_INTEGRITY')
      expect(error.message).toContain(layer.digest)
      expect(existsSync(output)).toBe(false)
      expect((await readdir(path.dirname(output))).filter((n) => n.includes('.extract-'))).toEqual([])
      expect(existsSync(path.join(box.home, 'cache', 'oci', 'blobs', 'sha256', layer.digest.slice(7)))).toBe(false)
    })

    it('a registry that stays down: exit 6 naming the registry, with a hint, in bounded time', async () => {
      const {dir} = await extension('unreachable')
      const port = await freePort()
      const commands = [
        ['oci', 'pull', 'unreachable:1.0.0', '--output', path.join(box.root, 'pulls', 'unreachable')],
        ['oci', 'push', dir],
        ['oci', 'tags', 'unreachable'],
        // A port nobody listens on behaves the same.
        ['oci', 'tags', `oci://127.0.0.1:${port}/${NAMESPACE}/unreachable`],
      ]
      await proxy.down()
      let runs: Array<{result: CliResult; elapsed: number}>
      try {
        // In parallel: each spends most of its time in backoff.
        runs = await Promise.all(
          commands.map(async (args) => {
            const started = Date.now()
            const result = await cli([...args, '--json'])
            return {result, elapsed: Date.now() - started}
          }),
        )
      } finally {
        await proxy.up()
      }
      for (const [i, {result, elapsed}] of runs.entries()) {
        expectExit(result, 6)
        const error = errorOf(result)
        expect(error.code).toBe('E_REGISTRY')
        expect(error.message).toContain(i === 3 ? `127.0.0.1:${port}` : proxy.host)
        expect(error.message).toMatch(/ECONNREFUSED.*after 4 attempt/)
        expect(error.hint).toMatch(/registry/)
        expect(elapsed).toBeLessThan(15_000)
        console.info(`registry down: ${commands[i].slice(0, 3).join(' ')} gave up after ${elapsed} ms`)
      }
      // Human output: the message and the hint on stderr, no stack trace.
      const human = await cli(['oci', 'tags', `oci://127.0.0.1:${port}/${NAMESPACE}/unreachable`], {PROVISIONING_OCI__RETRIES: '0'})
      expectExit(human, 6)
      expect(human.stderr).toContain(`127.0.0.1:${port}`)
      expect(human.stderr).toMatch(/Hint: /)
      expect(human.stderr).not.toMatch(/\n\s+at /)
    })

    it('a 401 is exit 7 (injected, and from a real Basic-auth registry without credentials)', async () => {
      await seeded('needs-auth')
      proxy.clear()
      proxy.plan([
        {
          match: {pathRegex: '/manifests/'},
          fault: {status: 401, body: JSON.stringify({errors: [{code: 'UNAUTHORIZED', message: 'authentication required'}]})},
          times: Infinity,
        },
      ])
      const injected = await cli(['oci', 'pull', 'needs-auth:1.0.0', '--output', path.join(box.root, 'pulls', 'needs-auth'), '--json'])
      proxy.clear()
      expectExit(injected, 7)
      expect(errorOf(injected)).toMatchObject({code: 'E_AUTH', exit: 7})
      expect(errorOf(injected).hint).toMatch(/oci login/)

      const secured = await startRegistry({auth: 'basic'})
      try {
        const {dir} = await extension('secured')
        const securedEnv = {PROVISIONING_OCI__REGISTRY: secured.host}
        const push = await cli(['oci', 'push', dir, '--json'], securedEnv)
        expectExit(push, 7)
        expect(errorOf(push).message).toContain(secured.host)
        expect(errorOf(push).hint).toContain(`oci login ${secured.host}`)
        expectExit(await cli(['oci', 'pull', 'secured:1.0.0', '--output', path.join(box.root, 'pulls', 'secured'), '--json'], securedEnv), 7)
      } finally {
        await secured.stop()
      }
    })

    it('a missing tag is exit 4 (not retried), and so is a missing repository', async () => {
      await seeded('has-one-tag')
      proxy.clear()
      const missingTag = await cli(['oci', 'pull', 'has-one-tag:9.9.9', '--output', path.join(box.root, 'pulls', 'missing'), '--json'])
      expectExit(missingTag, 4)
      expect(errorOf(missingTag)).toMatchObject({code: 'E_NOT_FOUND', exit: 4})
      expect(errorOf(missingTag).message).toContain('9.9.9')
      expect(proxy.requests.filter((r) => r.path.includes('/manifests/9.9.9'))).toHaveLength(1)
      const missingRepo = await cli(['oci', 'tags', 'never-pushed', '--json'])
      expectExit(missingRepo, 4)
      expect(errorOf(missingRepo).code).toBe('E_NOT_FOUND')
    })
  })

  describe('concurrency', () => {
    it('five pushes of different extensions to one registry at once all succeed', async () => {
      const names = ['conc-a', 'conc-b', 'conc-c', 'conc-d', 'conc-e']
      const dirs = await Promise.all(names.map(async (name) => (await extension(name)).dir))
      const results = await Promise.all(dirs.map((dir) => cli(['oci', 'push', dir, '--json'], {PROVISIONING_OCI__REGISTRY: registry().host})))
      for (const [i, result] of results.entries()) {
        expectExit(result, 0)
        expect(JSON.parse(result.stdout).digest).toBe((await registryManifest(names[i])).digest)
      }
    })

    it('two pushes of the same extension to one layout store at once leave a valid index.json', async () => {
      const {dir, files} = await extension('same')
      for (const round of [1, 2]) {
        const store = path.join(box.root, `store-${round}`)
        const layoutEnv = {PROVISIONING_OCI__REGISTRY: `oci-layout://${store}`}
        const [a, b] = await Promise.all([cli(['oci', 'push', dir, '--json'], layoutEnv), cli(['oci', 'push', dir, '--json'], layoutEnv)])
        expectExit(a, 0)
        expectExit(b, 0)
        const digest = JSON.parse(a.stdout).digest as string
        expect(JSON.parse(b.stdout).digest).toBe(digest)

        const layout = path.join(store, NAMESPACE, 'same')
        const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as {
          schemaVersion: number
          manifests: Array<Descriptor & {annotations?: Record<string, string>}>
        }
        expect(index.schemaVersion).toBe(2)
        expect(index.manifests).toHaveLength(1)
        expect(index.manifests[0]).toMatchObject({digest, annotations: {'org.opencontainers.image.ref.name': '1.0.0'}})
        expect(JSON.parse(await readFile(path.join(layout, 'oci-layout'), 'utf8'))).toEqual({imageLayoutVersion: '1.0.0'})
        // Every blob is complete (named by its digest) and no temp or lock file is left over.
        const blobs = await readdir(path.join(layout, 'blobs', 'sha256'))
        for (const blob of blobs) expect(sha256(await readFile(path.join(layout, 'blobs', 'sha256', blob)))).toBe(`sha256:${blob}`)
        expect(blobs).toHaveLength(3)
        expect((await readdir(layout)).sort()).toEqual(['blobs', 'index.json', 'oci-layout'])

        const output = path.join(box.root, 'pulls', `same-${round}`)
        expectExit(await cli(['oci', 'pull', 'same:1.0.0', '--output', output, '--json'], layoutEnv), 0)
        await expectPulled(output, files)
      }
    })
  })
})
