import {randomBytes} from 'node:crypto'
import {copyFile, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll} from 'vitest'
import YAML from 'yaml'

import {startTokenIssuer, type TokenIssuerHandle} from '../fixtures/token-issuer.js'
import {selfSignedCert} from './certs.js'
import {freePort, type Spawned, spawnLogged, stopProcess, trackDir, untrackDir} from './processes.js'

/**
 * A real CNCF distribution registry (Debian `docker-registry`, v2.8) on 127.0.0.1:<free port>,
 * storing into a temp folder, with optional Basic auth (bcrypt htpasswd), TLS (self-signed
 * cert for 127.0.0.1/localhost) and token auth (in-process token issuer).
 */
export interface RegistryOptions {
  auth?: 'none' | 'basic' | 'token'
  tls?: boolean
  username?: string
  password?: string
  /** token auth: how the JWT names its signing key (both work with registry 2.8). */
  tokenKeyHeader?: 'kid' | 'x5c'
  /** token auth: token lifetime in seconds (default 300). */
  tokenExpiresIn?: number
  /** token auth: requests without credentials get pull access. */
  anonymousPull?: boolean
  /** http.relativeurls: Location headers become relative (/v2/…) instead of absolute. */
  relativeUrls?: boolean
  readyTimeoutMs?: number
}

export interface Credentials {
  username: string
  password: string
}

export interface RegistryAuth extends Credentials {
  kind: 'basic' | 'token'
  /** token auth only: a user that is granted pull and nothing else. */
  reader?: Credentials
}

export interface RegistryHandle {
  /** 127.0.0.1:PORT */
  host: string
  /** http(s)://127.0.0.1:PORT */
  url: string
  /** Temp folder holding config, storage, certs and log; removed by stop(). */
  dir: string
  storageDir: string
  logFile: string
  configFile: string
  pid: number
  auth?: RegistryAuth
  /** tls only: the server certificate PEM (self-signed, so it is also the CA to trust). */
  caFile?: string
  /** tls only: a folder holding only ca.crt, for skopeo --*-cert-dir / containers certs.d. */
  certDir?: string
  tokenIssuer?: TokenIssuerHandle
  logTail(lines?: number): Promise<string>
  stop(): Promise<void>
}

const SERVICE = 'test-registry'
const ISSUER = 'test-issuer'

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/** One GET /v2/; resolves with the status code, or 0 when nothing answers. */
function probe(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get
    const req = get(`${url}/v2/`, {ca, timeout: 1000, agent: false}, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(0))
  })
}

async function waitReady(url: string, ca: string | undefined, proc: Spawned, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
  let exited = false
  void proc.exited.then(() => (exited = true))
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (exited) return 'exited'
    const status = await probe(url, ca)
    if (status === 200 || status === 401) return 'ready'
    await new Promise((r) => setTimeout(r, 15))
  }
  return 'timeout'
}

interface ConfigParts {
  auth?: object
  tls?: object
  relativeUrls?: boolean
}

function registryConfig(dir: string, port: number, extra: ConfigParts): object {
  return {
    version: 0.1,
    log: {level: 'warn', formatter: 'text', accesslog: {disabled: true}},
    storage: {filesystem: {rootdirectory: path.join(dir, 'storage')}, delete: {enabled: true}},
    http: {
      addr: `127.0.0.1:${port}`,
      secret: randomBytes(16).toString('hex'),
      relativeurls: extra.relativeUrls ?? false,
      ...(extra.tls ? {tls: extra.tls} : {}),
    },
    ...(extra.auth ? {auth: extra.auth} : {}),
  }
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryHandle> {
  const kind = options.auth ?? 'none'
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prov-registry-'))
  trackDir(dir)
  let issuer: TokenIssuerHandle | undefined
  try {
    const extra: ConfigParts = {relativeUrls: options.relativeUrls}
    let caFile: string | undefined
    let certDir: string | undefined
    if (options.tls) {
      const tlsDir = path.join(dir, 'tls')
      await mkdir(tlsDir)
      const pair = await selfSignedCert(tlsDir, 'server')
      caFile = pair.certFile
      certDir = path.join(dir, 'ca')
      await mkdir(certDir)
      await copyFile(caFile, path.join(certDir, 'ca.crt'))
      extra.tls = {certificate: pair.certFile, key: pair.keyFile}
    }
    let auth: RegistryAuth | undefined
    if (kind !== 'none') auth = {kind, username: options.username ?? 'user', password: options.password ?? 'pass'}
    if (kind === 'basic' && auth) {
      const htpasswd = path.join(dir, 'htpasswd')
      const {stdout} = await execa('htpasswd', ['-Bbn', auth.username, auth.password])
      await writeFile(htpasswd, stdout.trim() + '\n')
      extra.auth = {htpasswd: {realm: 'test-realm', path: htpasswd}}
    }
    if (kind === 'token' && auth) {
      const keyDir = path.join(dir, 'token')
      await mkdir(keyDir)
      const signing = await selfSignedCert(keyDir, 'signing', ISSUER)
      auth.reader = {username: 'reader', password: 'readerpass'}
      issuer = await startTokenIssuer({
        ...signing,
        service: SERVICE,
        issuer: ISSUER,
        users: {[auth.username]: {password: auth.password}, [auth.reader.username]: {password: auth.reader.password, allow: ['pull']}},
        anonymousPull: options.anonymousPull,
        expiresIn: options.tokenExpiresIn,
        keyHeader: options.tokenKeyHeader,
      })
      extra.auth = {token: {realm: issuer.realm, service: SERVICE, issuer: ISSUER, rootcertbundle: signing.certFile}}
    }

    const configFile = path.join(dir, 'config.yml')
    const logFile = path.join(dir, 'registry.log')
    const ca = caFile ? await readFile(caFile, 'utf8') : undefined
    const scheme = options.tls ? 'https' : 'http'
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      await writeFile(configFile, YAML.stringify(registryConfig(dir, port, extra)))
      const proc = await spawnLogged('docker-registry', ['serve', configFile], logFile)
      const url = `${scheme}://127.0.0.1:${port}`
      const state = await waitReady(url, ca, proc, options.readyTimeoutMs ?? 10_000)
      if (state === 'ready') {
        let stopped = false
        const tokenIssuer = issuer
        return {
          host: `127.0.0.1:${port}`,
          url,
          dir,
          storageDir: path.join(dir, 'storage'),
          logFile,
          configFile,
          pid: proc.pid,
          auth,
          caFile,
          certDir,
          tokenIssuer,
          logTail: (lines) => tail(logFile, lines),
          async stop() {
            if (stopped) return
            stopped = true
            await stopProcess(proc)
            await tokenIssuer?.stop()
            await rm(dir, {recursive: true, force: true})
            untrackDir(dir)
          },
        }
      }
      await stopProcess(proc)
      const log = await tail(logFile)
      // Another process may have taken the port between freePort() and bind: try a new one.
      if (state === 'exited' && /address already in use/.test(log) && attempt < 3) continue
      throw new Error(`docker-registry did not become ready (${state}) on ${url}; log tail:\n${log}`)
    }
  } catch (error) {
    await issuer?.stop()
    await rm(dir, {recursive: true, force: true})
    untrackDir(dir)
    throw error
  }
}

/** On-disk path of a blob's data in the registry storage (to corrupt or remove it). */
export function blobPath(handle: Pick<RegistryHandle, 'storageDir'>, digest: string): string {
  const hex = digest.replace(/^sha256:/, '')
  return path.join(handle.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data')
}

/** Starts a registry in beforeAll and stops it in afterAll; call the getter inside tests. */
export function useRegistry(options: RegistryOptions = {}): () => RegistryHandle {
  let handle: RegistryHandle | undefined
  beforeAll(async () => {
    handle = await startRegistry(options)
  })
  afterAll(async () => {
    await handle?.stop()
  })
  return () => {
    if (!handle) throw new Error('registry not started (use the getter inside a test)')
    return handle
  }
}
