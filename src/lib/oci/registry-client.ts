import {readFile} from 'node:fs/promises'


import {AuthError, ConfigError, IntegrityError, isProvisioningError, NotFoundError, RegistryError} from '../errors.js'
import {type Challenge, parseChallenge} from './auth-challenge.js'
import type {Credential} from './credentials.js'
import {type BodySink, BodyTooLarge, DeadlineExceeded, HttpTransport, type RequestBody, TruncatedBody} from './http-transport.js'
import {MAX_TOKEN_RESPONSE_BYTES} from './limits.js'
import {isLoopbackHost} from './transport-policy.js'

export interface RegistryClientOptions {
  host: string
  /**
   * Plain HTTP: only the configured registry or a loopback host with oci.tls_enabled = false
   * (transport-policy.ts). Over plain HTTP to a host that is not loopback, no stored
   * credential is ever sent (see cleartextRefusal()).
   */
  plainHttp: boolean
  caFile?: string
  insecure?: boolean
  timeoutMs: number
  /** oci.min_transfer_rate_kib in bytes: with timeoutMs, each request's total deadline (limits.ts). */
  minBytesPerSecond: number
  retries: number
  /** Upper bound of parallel connections (oci.concurrency). */
  connections: number
  credentials: () => Promise<Credential | undefined>
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'
  /** Path and query (`/v2/ns/name/tags/list?n=100`) or an absolute URL (upload Location). */
  path: string
  headers?: Record<string, string>
  body?: RequestBody
  /** Token scopes this request needs (pull, push, catalog). */
  scopes: string[]
  /** Statuses that are answers, not failures (404 for existence checks). */
  accept?: number[]
  /**
   * GET only: a 2xx body goes to this sink as it arrives (the response's body is then
   * empty). Use it with sendOnce and a fresh sink per attempt, since a retry restarts the body.
   */
  sink?: BodySink
  /** The most bytes a successful body may have (transport default: MAX_DOCUMENT_BYTES). */
  maxBytes?: number
}

export interface RegistryResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  url: string
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504])
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const MAX_RETRY_AFTER_MS = 30_000

class RetryableStatus extends Error {
  constructor(readonly response: RegistryResponse) {
    super(`HTTP ${response.status}`)
  }
}

function header(response: {headers: Record<string, string | string[] | undefined>}, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function retryAfterMs(response: RegistryResponse): number | undefined {
  const value = header(response, 'retry-after')
  if (!value) return undefined
  const seconds = Number(value)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now()
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined
}

/** The system error code of a transport failure (never our own errors' E_* codes). */
function errorCode(error: unknown): string | undefined {
  if (isProvisioningError(error)) return undefined
  const e = error as {code?: string; cause?: {code?: string}}
  return e?.code ?? e?.cause?.code
}

/**
 * HTTP for one registry: keep-alive connections (bounded), the Basic and Bearer token
 * flows with a token cache per scope, and retries with exponential backoff on
 * 408/429/5xx and connection failures, honouring Retry-After.
 */
export class RegistryClient {
  readonly base: string
  private transport?: HttpTransport
  private challenge?: Challenge
  private readonly tokens = new Map<string, {token: string; expires: number}>()
  private credential?: Promise<Credential | undefined>
  /**
   * Plain HTTP to a host that is not loopback: every request goes anonymously, whatever
   * credentials are stored for it (SPEC §14, README "Credentials only where they belong").
   * A workspace declaration arrives through pull requests and can name any host as its
   * registry with `tls_enabled: false`; the user's password for that host must not then
   * cross the network in clear text. Tokens the registry's token service issues to an
   * anonymous request carry no stored secret and are still used.
   */
  private readonly withheld: boolean

  constructor(private readonly options: RegistryClientOptions) {
    this.base = `${options.plainHttp ? 'http' : 'https'}://${options.host}`
    this.withheld = options.plainHttp && !isLoopbackHost(options.host)
  }

  private async http(): Promise<HttpTransport> {
    if (!this.transport) {
      const ca = this.options.caFile ? await readCaFile(this.options.caFile) : undefined
      const {connections, timeoutMs, minBytesPerSecond, insecure} = this.options
      this.transport = new HttpTransport({connections, timeoutMs, minBytesPerSecond, ca, insecure})
    }
    return this.transport
  }

  async close(): Promise<void> {
    this.transport?.close()
  }

  private credentials(): Promise<Credential | undefined> {
    // Not even looked up when withheld: a credential helper is not run for nothing.
    this.credential ??= this.withheld ? Promise.resolve(undefined) : this.options.credentials()
    return this.credential
  }

  /** Runs `attempt` with retries; used per request and for multi-request operations (uploads). */
  async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    let lastError: unknown
    let attempts = 0
    for (let tryNo = 0; tryNo <= this.options.retries; tryNo++) {
      try {
        attempts++
        return await attempt()
      } catch (error) {
        lastError = error
        const retryable = error instanceof RetryableStatus || error instanceof TruncatedBody || RETRYABLE_CODES.has(errorCode(error) ?? '')
        if (!retryable || tryNo === this.options.retries) break
        const backoff = Math.min(200 * 2 ** tryNo, 5000) * (0.75 + Math.random() * 0.5)
        const wait = error instanceof RetryableStatus ? retryAfterMs(error.response) ?? backoff : backoff
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
    }
    throw this.failure(what, lastError, attempts)
  }

  private failure(what: string, error: unknown, attempts: number): Error {
    // Our own errors (404, 401/403, integrity) already say what happened.
    if (isProvisioningError(error)) return error
    if (error instanceof BodyTooLarge) {
      const size = error.declared === undefined ? 'more than' : `${error.declared} bytes, more than`
      return new IntegrityError(`${what}: ${this.options.host} sent ${size} the ${error.limit} bytes allowed; refused, nothing was kept`, {
        hint: 'the registry is misbehaving or hostile (an oversized document, or a blob larger than its manifest says); report it to the registry operator and do not use this artifact',
        details: {registry: this.options.host, limit: error.limit, declaredBytes: error.declared, url: error.url},
      })
    }
    if (error instanceof DeadlineExceeded) {
      return new RegistryError(`${what}: ${this.options.host} did not answer completely within the deadline of ${Math.round(error.ms / 1000)} s (${error.received} body bytes arrived)`, {
        hint: 'the registry or the network is far too slow (or drip-feeds its answer); retry later, or raise oci.timeout_seconds or lower oci.min_transfer_rate_kib for a slow link',
        details: {registry: this.options.host, deadlineMs: error.ms, receivedBytes: error.received, url: error.url},
      })
    }
    if (error instanceof TruncatedBody) {
      // The registry answered, but the content never arrived whole: nothing was cached or written.
      return new IntegrityError(`${what}: the response from ${this.options.host} was cut short (${error.received} of ${error.expected} bytes) on ${attempts} attempt(s)`, {
        hint: 'the content is damaged in transit (a proxy or the network closes the connection early); retry later, or check what sits between you and the registry',
        details: {registry: this.options.host, expectedBytes: error.expected, receivedBytes: error.received},
      })
    }
    if (error instanceof RetryableStatus) {
      const {status} = error.response
      return new RegistryError(`${what}: ${this.options.host} answered HTTP ${status}${status === 429 ? ' (too many requests)' : ''} after ${attempts} attempt(s)`, {
        hint: status === 429 ? 'the registry is rate-limiting; wait and retry, or lower oci.concurrency' : 'the registry is failing; retry later or check its logs',
        details: {registry: this.options.host, status},
      })
    }
    const code = errorCode(error)
    if (code) {
      return new RegistryError(`${what}: cannot reach ${this.base} (${code}) after ${attempts} attempt(s)`, {
        hint: code === 'ECONNREFUSED'
          ? 'is the registry running and is oci.registry right? ("provisioning oci config" shows what is used)'
          : /CERT|SSL|TLS/.test(code) ? 'TLS failed: set oci.ca_file to the registry CA, or oci.tls_enabled=false for a plain-HTTP registry' : 'check the network and the registry address',
        details: {registry: this.options.host, code},
        cause: error,
      })
    }
    if (error instanceof Error && /certificate|self.signed|SSL|TLS/i.test(error.message)) {
      return new RegistryError(`${what}: TLS connection to ${this.options.host} failed: ${error.message}`, {
        hint: 'set oci.ca_file to the CA that signed the registry certificate, or --insecure to skip verification (never in production)',
        details: {registry: this.options.host},
      })
    }
    return error instanceof Error ? error : new RegistryError(`${what}: ${String(error)}`)
  }

  /**
   * `/v2/` ping: confirms the registry speaks the distribution API and learns its auth
   * challenge up front, so later requests carry credentials on the first try. It never
   * authenticates itself (anonymous pulls must keep working without a token).
   */
  async ping(): Promise<void> {
    const res = await this.withRetries(`connect to ${this.options.host}`, async () => {
      const r = await this.exchange({method: 'GET', path: '/v2/', scopes: []}, undefined)
      if (RETRYABLE_STATUS.has(r.status)) throw new RetryableStatus(r)
      return r
    })
    if (res.status === 401) {
      this.challenge = parseChallenge(header(res, 'www-authenticate')) ?? this.challenge
      return
    }
    if (res.status === 404) {
      throw new RegistryError(`${this.options.host} does not serve the OCI distribution API (GET /v2/ answered 404)`, {
        hint: 'check oci.registry: it must name a registry host[:port], not a web page',
        details: {registry: this.options.host},
      })
    }
    this.check(res, {method: 'GET', path: '/v2/', scopes: []}, `connect to ${this.options.host}`)
  }

  /**
   * `oci login`: GET /v2/ with the credentials (token flow included) must answer 200. Over
   * plain HTTP to a host that is not loopback the password is never sent, so it could be
   * neither verified nor used: refused before any request.
   */
  async verifyLogin(): Promise<void> {
    if (this.withheld) throw this.cleartextRefusal(`login to ${this.options.host}`)
    const res = await this.send({method: 'GET', path: '/v2/', scopes: [], accept: [401]}, `login to ${this.options.host}`)
    if (res.status === 401) {
      const challenge = parseChallenge(header(res, 'www-authenticate'))
      if (challenge) this.challenge = challenge
      await this.send({method: 'GET', path: '/v2/', scopes: []}, `login to ${this.options.host}`)
    }
  }

  /** One request with retries and authentication. */
  async send(request: RegistryRequest, what: string): Promise<RegistryResponse> {
    return this.withRetries(what, () => this.sendOnce(request, what))
  }

  /** One request with authentication but no retries (the caller retries the whole operation). */
  async sendOnce(request: RegistryRequest, what: string): Promise<RegistryResponse> {
    let response = await this.exchange(request, await this.authorization(request.scopes, what))
    if (response.status === 401) {
      const challenge = parseChallenge(header(response, 'www-authenticate'))
      if (challenge) this.challenge = challenge
      // The token we sent (if any) was refused: fetch a fresh one rather than resend it.
      this.tokens.delete(scopeKey(request.scopes))
      const auth = await this.authorization(request.scopes, what, true)
      if (auth) response = await this.exchange(request, auth)
    }
    return this.check(response, request, what)
  }

  private check(response: RegistryResponse, request: RegistryRequest, what: string): RegistryResponse {
    const {status} = response
    if (request.accept?.includes(status) || (status >= 200 && status < 300)) return response
    if (RETRYABLE_STATUS.has(status)) throw new RetryableStatus(response)
    const detail = registryErrorMessage(response.body)
    if (status === 401 || status === 403) {
      // A logged-in user lacking a permission gets 401 insufficient_scope from token registries.
      const insufficient = parseChallenge(header(response, 'www-authenticate'))?.error === 'insufficient_scope'
      return this.throwAuth(insufficient ? 403 : status, what, detail)
    }
    if (status === 400 && this.options.plainHttp && /HTTP request to an HTTPS server/i.test(response.body.toString('utf8'))) {
      throw new RegistryError(`${what}: ${this.options.host} speaks HTTPS, but plain HTTP was used`, {
        hint: 'set oci.tls_enabled = true (PROVISIONING_OCI__TLS_ENABLED=true)',
        details: {registry: this.options.host, status},
      })
    }
    if (status === 404) {
      throw new NotFoundError(`${what}: not found on ${this.options.host}${detail ? ` (${detail})` : ''}`, {
        hint: 'check the name and version; "provisioning oci tags NAME" lists the versions',
        details: {registry: this.options.host, status},
      })
    }
    throw new RegistryError(`${what}: ${this.options.host} answered HTTP ${status}${detail ? `: ${detail}` : ''}`, {
      hint: status === 405 ? 'the registry does not support this operation (e.g. delete disabled, or no _catalog)' : 'check the request and the registry logs',
      details: {registry: this.options.host, status},
    })
  }

  private throwAuth(status: number, what: string, detail: string): never {
    // Refused while anonymous only because credentials are withheld: say that, not "log in".
    if (this.withheld) throw this.cleartextRefusal(what, status)
    throw new AuthError(`${what}: ${status === 401 ? 'authentication required or rejected' : 'access denied'} by ${this.options.host}${detail ? ` (${detail})` : ''}`, {
      hint: status === 401 ? `log in with "provisioning oci login ${this.options.host}"` : 'your credentials lack permission for this repository; ask the registry admin',
      details: {registry: this.options.host, status},
    })
  }

  private async exchange(request: RegistryRequest, authorization: string | undefined): Promise<RegistryResponse> {
    const transport = await this.http()
    let url = request.path.startsWith('http') ? request.path : `${this.base}${request.path}`
    const origin = new URL(this.base).origin
    // Redirects (e.g. blob storage behind the registry) are followed by hand so that the
    // Authorization header never leaves the registry's origin.
    for (let hop = 0; hop < 5; hop++) {
      const headers: Record<string, string> = {'user-agent': 'provisioning-cli', ...request.headers}
      if (authorization && new URL(url).origin === origin) headers.authorization = authorization
      if (request.body !== undefined) headers['content-length'] = String(typeof request.body === 'string' ? Buffer.byteLength(request.body) : request.body.length)
      const res = await transport.request(url, {method: request.method, headers, body: request.body, sink: request.sink, maxBytes: request.maxBytes})
      const location = header(res, 'location')
      if ([301, 302, 303, 307, 308].includes(res.status) && location && (request.method === 'GET' || request.method === 'HEAD')) {
        const next = new URL(location, url)
        refuseDowngrade(url, next, this.options.host)
        url = next.toString()
        continue
      }
      return {status: res.status, headers: res.headers, body: res.body, url}
    }
    throw new RegistryError(`too many redirects from ${this.options.host}`, {hint: 'check the registry configuration'})
  }

  /** The Authorization header for these scopes, fetching a token when the registry asked for one. */
  private async authorization(scopes: string[], what: string, force = false): Promise<string | undefined> {
    const challenge = this.challenge
    if (!challenge) return undefined
    const credential = await this.credentials()
    if (challenge.scheme === 'basic') {
      if (!credential || credential.kind !== 'basic') return force ? this.throwAuth(401, what, 'no credentials found') : undefined
      return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`
    }
    // A token file's token (never withheld here: see credentials()).
    if (credential?.kind === 'bearer') return `Bearer ${credential.token}`
    const cached = this.tokens.get(scopeKey(scopes))
    if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`
    const token = await this.fetchToken(challenge, scopes, credential)
    return `Bearer ${token}`
  }

  /**
   * The answer when a registry reached over plain HTTP on a host that is not loopback
   * demands credentials: they were withheld (see `withheld`), nothing secret was sent.
   */
  private cleartextRefusal(what: string, status?: number): AuthError {
    const {host} = this.options
    return new AuthError(`${what}: ${host} requires credentials, but it is reached over plain HTTP and is not a loopback host; stored credentials are never sent to it, none were sent`, {
      hint: `serve the registry over TLS; credentials are never sent in clear text to another host (then set oci.tls_enabled=true for it, with oci.ca_file for a private CA)`,
      details: {registry: host, ...(status === undefined ? {} : {status}), cleartext: true},
    })
  }

  private async fetchToken(challenge: Challenge, scopes: string[], credential: Credential | undefined): Promise<string> {
    if (!challenge.realm) throw new AuthError(`${this.options.host} asked for a bearer token but named no realm`, {hint: 'check the registry auth configuration'})
    const transport = await this.http()
    const url = tokenRealm(challenge.realm, this.options.host)
    if (credential?.kind === 'basic' || credential?.kind === 'identity-token') refuseCleartextCredentials(url, this.options)
    if (challenge.service) url.searchParams.set('service', challenge.service)
    for (const s of scopes) url.searchParams.append('scope', s)
    const headers: Record<string, string> = {'user-agent': 'provisioning-cli'}
    let method: 'GET' | 'POST' = 'GET'
    let body: string | undefined
    if (credential?.kind === 'basic') headers.authorization = `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`
    if (credential?.kind === 'identity-token') {
      // OAuth2 refresh-token exchange, as Docker does for identity tokens.
      method = 'POST'
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams({grant_type: 'refresh_token', service: challenge.service ?? '', scope: scopes.join(' '), refresh_token: credential.token, client_id: 'provisioning-cli'}).toString()
    }
    const res = await this.withRetries('token request', async () => {
      const r = await transport.request(method === 'GET' ? url.toString() : `${url.origin}${url.pathname}`, {method, headers, body, maxBytes: MAX_TOKEN_RESPONSE_BYTES})
      if (RETRYABLE_STATUS.has(r.status)) throw new RetryableStatus({...r, url: url.toString()})
      return {status: r.status, text: r.body.toString('utf8')}
    })
    if (res.status === 401 || res.status === 403) {
      if (this.withheld) throw this.cleartextRefusal('token request', res.status)
      throw new AuthError(`the token service of ${this.options.host} rejected ${credential ? 'the credentials' : 'anonymous access'} (HTTP ${res.status})`, {
        hint: `log in with "provisioning oci login ${this.options.host}"`,
        details: {registry: this.options.host, status: res.status},
      })
    }
    if (res.status >= 300) throw new AuthError(`token request to ${url.origin} failed with HTTP ${res.status}`, {hint: 'check the registry auth service', details: {status: res.status}})
    let data: {token?: string; access_token?: string; expires_in?: number}
    try {
      data = JSON.parse(res.text) as typeof data
    } catch {
      throw new AuthError(`the token service of ${this.options.host} (${url.origin}) answered something that is not JSON`, {hint: 'check the registry auth service', details: {registry: this.options.host}})
    }
    const token = data.token ?? data.access_token
    if (!token) throw new AuthError(`the token service of ${this.options.host} returned no token`, {hint: 'check the registry auth service'})
    // Refresh a little early so a token never expires between check and use.
    const lifetime = Math.max((data.expires_in ?? 60) - 10, 5) * 1000
    this.tokens.set(scopeKey(scopes), {token, expires: Date.now() + lifetime})
    return token
  }
}

/**
 * Where credentials may go (SPEC §14, README "Security model"). Registries on a host that is
 * not loopback and reached over plain HTTP never get any (RegistryClient.withheld); for the
 * others, the Basic header or refresh token of a token request:
 * - goes to an https realm, which may be on another host than the registry (Docker Hub's
 *   auth.docker.io is): the registry chose it, and whoever controls the registry's answers
 *   controls its content anyway;
 * - goes to an http:// realm only from a loopback registry reached over plain HTTP, to a
 *   loopback realm: clear text that never leaves the machine;
 * - otherwise is not sent: the command stops before the token request (exit 7). An HTTPS
 *   registry naming an http:// realm is downgrading its clients, as an HTTPS -> HTTP
 *   redirect would.
 * Anonymous token requests carry no secret and may use any http(s) realm.
 */
function refuseCleartextCredentials(realm: URL, options: RegistryClientOptions): void {
  if (realm.protocol === 'https:' || (options.plainHttp && isLoopbackHost(options.host) && isLoopbackHost(realm.host))) return
  throw new AuthError(`${options.host} asks for the credentials to be sent to ${realm.origin} over plain HTTP; refused, they were not sent`, {
    hint: options.plainHttp
      ? `the registry's token realm must be https, or on this machine (loopback) for a local registry (fix its auth.token.realm); credentials are never sent in clear text to another host`
      : `the registry's token realm must be https (fix its auth.token.realm); credentials are never sent in clear text to another host`,
    details: {registry: options.host, realm: realm.origin},
  })
}

function tokenRealm(realm: string, host: string): URL {
  let url: URL | undefined
  try {
    url = new URL(realm)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new AuthError(`${host} names a token realm that is not an http(s) URL: ${JSON.stringify(realm.slice(0, 200))}`, {hint: 'check the registry auth configuration', details: {registry: host}})
  }
  return url
}

/**
 * HTTPS -> HTTP redirects are refused: content and any credentials a later request carries
 * would travel in clear text, and a man in the middle could then answer anything. Plain
 * HTTP -> HTTPS and HTTPS -> another HTTPS origin are followed (Authorization only ever goes
 * to the registry's own origin, see exchange()).
 */
function refuseDowngrade(from: string, to: URL, host: string): void {
  if (new URL(from).protocol !== 'https:' || to.protocol === 'https:') return
  throw new RegistryError(`${host} redirected an HTTPS request to ${to.protocol}//${to.host}; refused`, {
    hint: 'a registry reached over HTTPS must not send clients to plain HTTP (check its storage redirect / proxy settings); nothing was fetched from there',
    details: {registry: host, from: new URL(from).origin, to: `${to.protocol}//${to.host}`},
  })
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(' ')
}

async function readCaFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new ConfigError(`oci.ca_file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'point oci.ca_file at the PEM certificate of the CA that signed the registry certificate',
      details: {file},
    })
  }
}

function registryErrorMessage(body: Buffer): string {
  try {
    const data = JSON.parse(body.toString('utf8')) as {errors?: Array<{code?: string; message?: string}>}
    return (data.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ')
  } catch {
    return ''
  }
}

export {header as responseHeader}
