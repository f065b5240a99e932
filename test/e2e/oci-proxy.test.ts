import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type FaultProxyHandle, startFaultProxy} from '../fixtures/fault-proxy.js'
import {type HttpProxyHandle, type HttpProxyOptions, PROXY_VARIABLES_UNSET, startHttpProxy} from '../fixtures/http-proxy.js'
import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, type ErrorDoc, installedDirs, writeExtension} from '../helpers/deps.js'
import {freePort} from '../helpers/processes.js'
import {type RegistryHandle, type RegistryOptions, startRegistry} from '../helpers/registry.js'
import {testHostsEnv} from '../helpers/test-hosts.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

const SECRET = 'pr0xy-s3cret'
const b64 = (text: string) => Buffer.from(text).toString('base64')

/** The proxy password, plain or inside a Basic header, appears nowhere in what the CLI printed. */
function expectNoSecret(...outputs: string[]): void {
  for (const text of outputs) {
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(b64(`puser:${SECRET}`))
  }
}

interface Rig {
  registry: RegistryHandle
  proxy: HttpProxyHandle
  box: Sandbox
}

/** A real registry, a real forward proxy and a sandbox holding one extension folder, for one describe block. */
function useRig(options: {registry?: RegistryOptions; proxy?: HttpProxyOptions; name: string; version: string; files?: Record<string, string>}): () => Rig {
  let rig: Rig | undefined
  beforeAll(async () => {
    const registry = await startRegistry(options.registry)
    const proxy = await startHttpProxy(options.proxy)
    const box = await sandbox()
    await writeExtension(path.join(box.root, 'src', options.name), {name: options.name, version: options.version}, options.files)
    rig = {registry, proxy, box}
  })
  afterAll(async () => {
    await rig?.proxy.stop()
    await rig?.registry.stop()
    await rig?.box.cleanup()
  })
  return () => {
    if (!rig) throw new Error('rig not started (use the getter inside a test)')
    return rig
  }
}

/**
 * HTTP(S)_PROXY and NO_PROXY (issue 15 item 5): a real forward proxy (test/fixtures/http-proxy.ts)
 * between the built CLI and real registries. For a plain-HTTP registry the registry sits behind
 * a counting reverse proxy (fault-proxy), so "every request went through the forward proxy" is
 * checked by comparing both logs.
 */
describe('HTTP_PROXY with a plain-HTTP registry (built CLI, real registry, real proxy)', () => {
  let registry: RegistryHandle
  let front: FaultProxyHandle
  let proxy: HttpProxyHandle
  let box: Sandbox
  let src: string
  beforeAll(async () => {
    registry = await startRegistry()
    front = await startFaultProxy({target: registry.url})
    proxy = await startHttpProxy()
    box = await sandbox()
    src = path.join(box.root, 'src', 'redis')
    await writeExtension(src, {name: 'redis', version: '1.0.0'}, {'README.md': 'redis through a proxy\n'})
  })
  afterAll(async () => {
    await proxy?.stop()
    await front?.stop()
    await registry?.stop()
    await box?.cleanup()
  })
  const env = (extra: Record<string, string> = {}) => ({...box.env, ...PROXY_VARIABLES_UNSET, PROVISIONING_OCI__REGISTRY: front.host, ...extra})

  it('oci push, oci pull and dep resolve send every request through the proxy (absolute-form), none directly', async () => {
    const through = env({HTTP_PROXY: proxy.url})
    const push = await runCli(['oci', 'push', src, '--json'], {env: through})
    expect(push.exitCode, push.stderr).toBe(0)
    const pull = await runCli(['oci', 'pull', 'redis:1.0.0', '--output', path.join(box.root, 'pulled'), '--json'], {env: through})
    expect(pull.exitCode, pull.stderr).toBe(0)
    expect(await readFile(path.join(box.root, 'pulled', 'README.md'), 'utf8')).toBe('redis through a proxy\n')
    const ws = await bareWorkspace(box.root, 'ws')
    await declare(ws, {registry: front.host}, {taskservs: [{name: 'redis', version: '1.0.0'}]})
    const resolve = await depResolve(ws, {...through, PROVISIONING_HOME: path.join(box.root, 'home2')}, ['--json'])
    expect(resolve.exitCode, resolve.stderr).toBe(0)
    expect(Object.keys(await installedDirs(ws))).toEqual(['taskservs/redis'])

    const viaProxy = proxy.entriesFor(front.host)
    expect(viaProxy.length).toBeGreaterThan(5)
    expect(viaProxy.every((e) => e.kind === 'forward')).toBe(true)
    // The registry's front saw exactly the requests the proxy forwarded: nothing came directly.
    expect(front.requests.length).toBe(viaProxy.length)
    expect(viaProxy.map((e) => new URL(e.target).pathname)).toEqual(front.requests.map((r) => r.path.split('?')[0]))
  })

  it('NO_PROXY naming the host (lower-case no_proxy wins over NO_PROXY): direct, the proxy sees nothing', async () => {
    proxy.log.length = 0
    front.clear()
    const result = await runCli(['oci', 'tags', 'redis', '--json'], {
      env: env({HTTP_PROXY: proxy.url, NO_PROXY: 'other.example', no_proxy: `example.com, 127.0.0.1`}),
    })
    expect(result.exitCode, result.stderr).toBe(0)
    expect(front.requests.length).toBeGreaterThan(0)
    expect(proxy.log).toEqual([])
  })

  it('lower-case http_proxy wins over HTTP_PROXY', async () => {
    proxy.log.length = 0
    const closed = await freePort()
    const result = await runCli(['oci', 'tags', 'redis', '--json'], {env: env({HTTP_PROXY: `http://127.0.0.1:${closed}`, http_proxy: proxy.url})})
    expect(result.exitCode, result.stderr).toBe(0)
    expect(proxy.entriesFor(front.host).length).toBeGreaterThan(0)
  })

  it('an unreachable proxy: exit 6 naming the proxy and its variable, never its credentials', async () => {
    const closed = await freePort()
    const result = await runCli(['oci', 'tags', 'redis', '--json'], {
      env: env({HTTP_PROXY: `http://puser:${SECRET}@127.0.0.1:${closed}`, PROVISIONING_OCI__RETRIES: '0'}),
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(6)
    const {error} = json<ErrorDoc>(result)
    expect(error.message).toContain(`cannot reach the proxy http://127.0.0.1:${closed} (set by HTTP_PROXY)`)
    expect(error.details).toMatchObject({proxy: `http://127.0.0.1:${closed}`, variable: 'HTTP_PROXY', code: 'ECONNREFUSED'})
    expectNoSecret(result.stdout, result.stderr)
    const text = await runCli(['oci', 'tags', 'redis', '--verbose'], {
      env: env({HTTP_PROXY: `http://puser:${SECRET}@127.0.0.1:${closed}`, PROVISIONING_OCI__RETRIES: '0'}),
    })
    expect(text.exitCode).toBe(6)
    expect(text.stderr).toContain('HTTP_PROXY')
    expectNoSecret(text.stdout, text.stderr)
  })

  it('a proxy value that is not a URL: exit 3 naming the variable, not the value', async () => {
    const result = await runCli(['oci', 'tags', 'redis', '--json'], {env: env({HTTP_PROXY: `socks5://puser:${SECRET}@127.0.0.1:1080`})})
    expect(result.exitCode, result.stdout + result.stderr).toBe(3)
    expect(json<ErrorDoc>(result).error.message).toContain('HTTP_PROXY is not a usable proxy URL')
    expectNoSecret(result.stdout, result.stderr)
  })

  it('oci config names the proxy in use (masked) and whether NO_PROXY exempts the registry', async () => {
    const shown = await runCli(['oci', 'config', '--json'], {env: env({HTTP_PROXY: `http://puser:${SECRET}@proxy.example:3128`})})
    expect(shown.exitCode, shown.stderr).toBe(0)
    expect(json<{proxy: string}>(shown).proxy).toBe('http://proxy.example:3128 (from HTTP_PROXY, with credentials, not shown)')
    expectNoSecret(shown.stdout, shown.stderr)
    const text = await runCli(['oci', 'config'], {env: env({HTTP_PROXY: `http://puser:${SECRET}@proxy.example:3128`})})
    expect(text.stdout).toMatch(/proxy:\s+http:\/\/proxy\.example:3128/)
    expectNoSecret(text.stdout, text.stderr)
    const exempt = await runCli(['oci', 'config', '--json'], {env: env({HTTP_PROXY: 'http://proxy.example:3128', NO_PROXY: '127.0.0.1'})})
    expect(json<{proxy: string}>(exempt).proxy).toBe(`none: NO_PROXY exempts ${front.host} from http://proxy.example:3128 (HTTP_PROXY)`)
    const none = await runCli(['oci', 'config', '--json'], {env: env()})
    expect(json<{proxy: string}>(none).proxy).toBe('none')
  })
})

describe('a proxy that requires credentials (built CLI, real registry, real proxy)', () => {
  const rig = useRig({proxy: {credentials: {username: 'puser', password: SECRET}}, name: 'etcd', version: '3.5.9'})
  let registry: RegistryHandle
  let proxy: HttpProxyHandle
  let box: Sandbox
  beforeAll(() => ({registry, proxy, box} = rig()))
  const env = (extra: Record<string, string>) => ({...box.env, ...PROXY_VARIABLES_UNSET, PROVISIONING_OCI__REGISTRY: registry.host, ...extra})

  it('the credentials in the URL go as Proxy-Authorization and appear nowhere in the output', async () => {
    const proxyUrl = `http://puser:${SECRET}@${proxy.host}`
    const push = await runCli(['oci', 'push', path.join(box.root, 'src', 'etcd'), '--json'], {env: env({HTTP_PROXY: proxyUrl})})
    expect(push.exitCode, push.stderr).toBe(0)
    const tags = await runCli(['oci', 'tags', 'etcd', '--verbose'], {env: env({HTTP_PROXY: proxyUrl})})
    expect(tags.exitCode, tags.stderr).toBe(0)
    expect(tags.stdout).toContain('3.5.9')
    const entries = proxy.entriesFor(registry.host)
    expect(entries.length).toBeGreaterThan(0)
    expect(entries.every((e) => e.status !== 407 && e.proxyAuthorization === `Basic ${b64(`puser:${SECRET}`)}`)).toBe(true)
    expectNoSecret(push.stdout, push.stderr, tags.stdout, tags.stderr)
    // The audit log of the push holds no credentials either.
    const audit = await readFile(path.join(box.home, 'audit.log'), 'utf8').catch(() => '')
    expectNoSecret(audit)
  })

  it('without credentials the proxy answers 407: exit 7 saying where to put them', async () => {
    const result = await runCli(['oci', 'tags', 'etcd', '--json'], {env: env({HTTP_PROXY: proxy.url})})
    expect(result.exitCode, result.stdout + result.stderr).toBe(7)
    const {error} = json<ErrorDoc>(result)
    expect(error.message).toContain(`the proxy ${proxy.url} (from HTTP_PROXY) requires authentication (HTTP 407)`)
    expect(error.hint).toContain('HTTP_PROXY')
  })
})

describe('HTTPS_PROXY with a TLS registry (CONNECT tunnels; built CLI, real registry, real proxy)', () => {
  const rig = useRig({registry: {tls: true}, name: 'nginx', version: '1.25.0', files: {'conf/nginx.conf': 'events {}\n'}})
  let registry: RegistryHandle
  let proxy: HttpProxyHandle
  let box: Sandbox
  beforeAll(() => ({registry, proxy, box} = rig()))
  const env = (extra: Record<string, string> = {}) => ({
    ...box.env,
    ...PROXY_VARIABLES_UNSET,
    PROVISIONING_OCI__REGISTRY: registry.host,
    PROVISIONING_OCI__TLS_ENABLED: 'true',
    PROVISIONING_OCI__CA_FILE: registry.caFile ?? '',
    ...extra,
  })

  it('push and pull reach the registry only through CONNECT, with the registry CA checked inside the tunnel', async () => {
    const through = env({HTTPS_PROXY: proxy.url})
    const push = await runCli(['oci', 'push', path.join(box.root, 'src', 'nginx'), '--json'], {env: through})
    expect(push.exitCode, push.stderr).toBe(0)
    const pull = await runCli(['oci', 'pull', 'nginx:1.25.0', '--output', path.join(box.root, 'out'), '--json'], {env: through})
    expect(pull.exitCode, pull.stderr).toBe(0)
    expect(await readFile(path.join(box.root, 'out', 'conf', 'nginx.conf'), 'utf8')).toBe('events {}\n')
    expect(proxy.log.length).toBeGreaterThan(0)
    expect(proxy.log.every((e) => e.kind === 'connect' && e.target === registry.host && e.status === 200)).toBe(true)
  })

  it('a registry certificate not trusted is still refused through the tunnel (exit 6, TLS)', async () => {
    proxy.log.length = 0
    const result = await runCli(['oci', 'tags', 'nginx', '--json'], {
      env: env({HTTPS_PROXY: proxy.url, PROVISIONING_OCI__CA_FILE: '', PROVISIONING_OCI__RETRIES: '0'}),
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(6)
    expect(json<ErrorDoc>(result).error.hint).toContain('oci.ca_file')
    expect(proxy.entriesFor(registry.host).length).toBeGreaterThan(0)
  })

  it('NO_PROXY with the host:port exempts it; another port does not', async () => {
    proxy.log.length = 0
    const exempt = await runCli(['oci', 'tags', 'nginx', '--json'], {env: env({HTTPS_PROXY: proxy.url, NO_PROXY: registry.host})})
    expect(exempt.exitCode, exempt.stderr).toBe(0)
    expect(proxy.log).toEqual([])
    const otherPort = await runCli(['oci', 'tags', 'nginx', '--json'], {env: env({HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1:1'})})
    expect(otherPort.exitCode, otherPort.stderr).toBe(0)
    expect(proxy.entriesFor(registry.host).length).toBeGreaterThan(0)
  })
})

describe('token auth through the proxy: the token realm on another host goes through it too', () => {
  const rig = useRig({registry: {auth: 'token'}, name: 'vault', version: '1.15.0'})
  let registry: RegistryHandle
  let proxy: HttpProxyHandle
  let box: Sandbox
  beforeAll(() => ({registry, proxy, box} = rig()))

  it('login, push and tags: the proxy log names the registry and the token service', async () => {
    const env = {...box.env, ...PROXY_VARIABLES_UNSET, PROVISIONING_OCI__REGISTRY: registry.host, HTTP_PROXY: proxy.url}
    const login = await runCli(['oci', 'login', registry.host, '--username', 'user', '--password-stdin', '--json'], {env, input: 'pass'})
    expect(login.exitCode, login.stderr).toBe(0)
    const push = await runCli(['oci', 'push', path.join(box.root, 'src', 'vault'), '--json'], {env})
    expect(push.exitCode, push.stderr).toBe(0)
    const issuer = new URL(registry.tokenIssuer?.url ?? '').host
    expect(proxy.entriesFor(registry.host).length).toBeGreaterThan(0)
    const tokenRequests = proxy.entriesFor(issuer)
    expect(tokenRequests.length).toBeGreaterThan(0)
    expect(tokenRequests.every((e) => e.kind === 'forward' && new URL(e.target).pathname === '/token')).toBe(true)
    // Every request the token service answered came through the proxy.
    expect(registry.tokenIssuer?.requests.length).toBe(tokenRequests.length)
  })
})

describe('clear text through a proxy on another machine (built CLI, real registry, real proxy)', () => {
  const rig = useRig({registry: {auth: 'basic'}, name: 'consul', version: '1.17.0'})
  let registry: RegistryHandle
  let proxy: HttpProxyHandle
  let box: Sandbox
  beforeAll(() => ({registry, proxy, box} = rig()))

  it('a loopback plain-HTTP registry behind a remote proxy gets no stored credential: exit 7 naming the proxy, no Authorization sent', async () => {
    const direct = {...box.env, ...PROXY_VARIABLES_UNSET, PROVISIONING_OCI__REGISTRY: registry.host}
    const login = await runCli(['oci', 'login', registry.host, '--username', 'user', '--password-stdin', '--json'], {env: direct, input: 'pass'})
    expect(login.exitCode, login.stderr).toBe(0)
    // proxy.test answers 127.0.0.1, yet is not a loopback name: it stands for a proxy on another machine.
    const remote = {...direct, ...testHostsEnv(['proxy.test']), HTTP_PROXY: `http://proxy.test:${proxy.port}`}
    const push = await runCli(['oci', 'push', path.join(box.root, 'src', 'consul'), '--json'], {env: remote})
    expect(push.exitCode, push.stdout + push.stderr).toBe(7)
    const {error} = json<ErrorDoc>(push)
    expect(error.message).toContain(`through the proxy http://proxy.test:${proxy.port}, which is not on this machine`)
    expect(error.details).toMatchObject({cleartext: true, proxy: `http://proxy.test:${proxy.port}`})
    const seen = proxy.entriesFor(registry.host)
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.filter((e) => e.authorization !== undefined)).toEqual([])
    // oci login through it is refused before any request.
    proxy.log.length = 0
    const relogin = await runCli(['oci', 'login', registry.host, '--username', 'user', '--password-stdin', '--json'], {env: remote, input: 'pass'})
    expect(relogin.exitCode).toBe(7)
    expect(proxy.log).toEqual([])
  })
})
