import {readFile} from 'node:fs/promises'

import {ConfigError, NotFoundError, RegistryError} from '../errors.js'
import {parseChallenge} from './auth-challenge.js'
import type {Credential} from './credentials.js'
import {HttpTransport} from './http-transport.js'
import {RegistryAuth} from './transport/auth.js'
import {type ProxyEnvironment, proxyFor} from './transport/proxy.js'
import {isLoopbackHost} from './transport-policy.js'
import {cleartextRefusal} from './transport/cleartext.js'
import {type RegistryRequest, type RegistryResponse, responseHeader} from './transport/exchange.js'
import {transportFailure} from './transport/failure.js'
import {RedirectingExchange} from './transport/redirects.js'
import {retrying, unlessRetryable} from './transport/retry.js'

export type {RegistryRequest, RegistryResponse} from './transport/exchange.js'
export {responseHeader} from './transport/exchange.js'

export interface RegistryClientOptions {
  host: string
  /**
   * Plain HTTP: only the configured registry or a loopback host with oci.tls_enabled = false
   * (transport-policy.ts). Over plain HTTP to a host that is not loopback, no stored
   * credential is ever sent (transport/cleartext.ts).
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
  /** The environment whose HTTP(S)_PROXY and NO_PROXY apply to this registry and its token realm. */
  env?: ProxyEnvironment
}

/**
 * HTTP for one registry, composed of layers (src/lib/oci/transport/) over the base
 * HttpTransport (keep-alive connections, bounded; size caps; deadlines): redirects followed
 * without carrying credentials off the registry's origin, auth (Basic and Bearer token
 * flows, a token cache per scope), and retries with exponential backoff on 408/429/5xx and
 * connection failures, honouring Retry-After. This class wires them together and reads
 * the registry's answers.
 */
export class RegistryClient {
  readonly base: string
  private transport?: HttpTransport
  private readonly redirects: RedirectingExchange
  private readonly auth: RegistryAuth

  constructor(private readonly options: RegistryClientOptions) {
    this.base = `${options.plainHttp ? 'http' : 'https'}://${options.host}`
    const transport = () => this.http()
    this.redirects = new RedirectingExchange({base: this.base, host: options.host}, transport)
    this.auth = new RegistryAuth({
      host: options.host,
      plainHttp: options.plainHttp,
      remoteProxy: this.remoteProxy(),
      credentials: options.credentials,
      transport,
      retry: (what, attempt) => this.withRetries(what, attempt),
    })
  }

  /** The proxy of plain-HTTP requests to this registry, when it is on another machine (cleartext.ts). */
  private remoteProxy(): string | undefined {
    if (!this.options.plainHttp || !this.options.env) return undefined
    let proxy
    try {
      proxy = proxyFor(new URL(this.base), this.options.env)
    } catch {
      // An unusable proxy variable: the first request fails on it (exit 3) before anything is sent.
      return undefined
    }
    return proxy && !isLoopbackHost(proxy.url.host) ? proxy.display : undefined
  }

  private async http(): Promise<HttpTransport> {
    if (!this.transport) {
      const ca = this.options.caFile ? await readCaFile(this.options.caFile) : undefined
      const {connections, timeoutMs, minBytesPerSecond, insecure, env} = this.options
      this.transport = new HttpTransport({connections, timeoutMs, minBytesPerSecond, ca, insecure, env})
    }
    return this.transport
  }

  async close(): Promise<void> {
    this.transport?.close()
  }

  /** Runs `attempt` with retries; used per request and for multi-request operations (uploads). */
  async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    return retrying(this.options.retries, attempt, (error, attempts) => transportFailure({host: this.options.host, base: this.base}, what, error, attempts))
  }

  /**
   * `/v2/` ping: confirms the registry speaks the distribution API and learns its auth
   * challenge up front, so later requests carry credentials on the first try. It never
   * authenticates itself (anonymous pulls must keep working without a token).
   */
  async ping(): Promise<void> {
    const res = await this.pingAnswer()
    if (res.status === 401) return
    if (res.status === 404) {
      throw new RegistryError(`${this.options.host} does not serve the OCI distribution API (GET /v2/ answered 404)`, {
        hint: 'check oci.registry: it must name a registry host[:port], not a web page',
        details: {registry: this.options.host},
      })
    }
    this.check(res, {method: 'GET', path: '/v2/', scopes: []}, `connect to ${this.options.host}`)
  }

  /**
   * GET /v2/ without credentials, whatever it answers (after retries on 5xx and resets):
   * `repo validate` reads its status and API version header. A 401 teaches the challenge.
   */
  async pingAnswer(): Promise<RegistryResponse> {
    const res = await this.withRetries(`connect to ${this.options.host}`, async () =>
      unlessRetryable(await this.redirects.exchange({method: 'GET', path: '/v2/', scopes: []}, undefined)),
    )
    if (res.status === 401) this.auth.learnChallenge(res)
    return res
  }

  /**
   * `oci login`: GET /v2/ with the credentials (token flow included) must answer 200. Over
   * plain HTTP to a host that is not loopback the password is never sent, so it could be
   * neither verified nor used: refused before any request.
   */
  async verifyLogin(): Promise<void> {
    if (this.auth.withheld) throw cleartextRefusal(this.options.host, `login to ${this.options.host}`, undefined, this.remoteProxy())
    const res = await this.send({method: 'GET', path: '/v2/', scopes: [], accept: [401]}, `login to ${this.options.host}`)
    if (res.status === 401) {
      this.auth.learnChallenge(res)
      await this.send({method: 'GET', path: '/v2/', scopes: []}, `login to ${this.options.host}`)
    }
  }

  /** One request with retries and authentication. */
  async send(request: RegistryRequest, what: string): Promise<RegistryResponse> {
    return this.withRetries(what, () => this.sendOnce(request, what))
  }

  /** One request with authentication but no retries (the caller retries the whole operation). */
  async sendOnce(request: RegistryRequest, what: string): Promise<RegistryResponse> {
    let response = await this.redirects.exchange(request, await this.auth.authorization(request.scopes, what))
    if (response.status === 401) {
      this.auth.learnChallenge(response)
      // The token we sent (if any) was refused: fetch a fresh one rather than resend it.
      this.auth.forgetToken(request.scopes)
      const authorization = await this.auth.authorization(request.scopes, what, true)
      if (authorization) response = await this.redirects.exchange(request, authorization)
    }
    return this.check(response, request, what)
  }

  private check(response: RegistryResponse, request: RegistryRequest, what: string): RegistryResponse {
    const {status} = response
    if (request.accept?.includes(status) || (status >= 200 && status < 300)) return response
    unlessRetryable(response)
    const detail = registryErrorMessage(response.body)
    if (status === 401 || status === 403) {
      // A logged-in user lacking a permission gets 401 insufficient_scope from token registries.
      const insufficient = parseChallenge(responseHeader(response, 'www-authenticate'))?.error === 'insufficient_scope'
      return this.auth.refused(insufficient ? 403 : status, what, detail)
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
