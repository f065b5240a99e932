import type http from 'node:http'
import type https from 'node:https'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {AuthError, RegistryError} from '../errors.js'
import {nodeHttp, nodeHttps} from '../util/lazy-builtins.js'
import {MAX_DOCUMENT_BYTES, MAX_ERROR_BODY_BYTES, PROGRESS_SLACK_BYTES} from './limits.js'
import {type ProxyChoice, type ProxyEnvironment, proxyFor} from './transport/proxy.js'

export interface TransportOptions {
  /** Upper bound of parallel sockets per origin. */
  connections: number
  /** Idle timeout (no byte either way), and the base of every request's total deadline. */
  timeoutMs: number
  /** The slowest transfer accepted: what extends a request's deadline for its body (limits.ts). */
  minBytesPerSecond: number
  ca?: string
  insecure?: boolean
  /** The environment whose HTTP(S)_PROXY and NO_PROXY apply (transport/proxy.ts); none: direct. */
  env?: ProxyEnvironment
}

export interface TransportRequest {
  method: string
  headers: Record<string, string>
  body?: RequestBody
  sink?: BodySink
  /**
   * The most bytes a successful answer's body may have (default MAX_DOCUMENT_BYTES): a
   * larger Content-Length fails at once, and so does byte maxBytes + 1, so nothing past the
   * cap is ever held or handed to the sink. Error answers get MAX_ERROR_BODY_BYTES.
   */
  maxBytes?: number
}

export interface TransportResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/**
 * Receives a successful (2xx) GET body chunk by chunk instead of having it collected in
 * memory. The next chunk is read only once write() settled (backpressure); a rejected
 * write drops the connection and rejects the request with that error.
 */
export interface BodySink {
  write(chunk: Buffer): Promise<void> | void
}

/**
 * A request body sent as it is read (a large blob from a file), never held whole. open()
 * is called once per send, so a retried or re-authenticated request starts over.
 */
export interface StreamBody {
  readonly length: number
  open(): AsyncIterable<Buffer>
}

export type RequestBody = Buffer | string | StreamBody

function isStreamBody(body: RequestBody | undefined): body is StreamBody {
  return typeof body === 'object' && !Buffer.isBuffer(body)
}

/** The connection closed before the body reached its Content-Length: damaged in transit, worth a retry. */
export class TruncatedBody extends Error {
  readonly code = 'ERR_TRUNCATED_BODY'
  constructor(
    readonly received: number,
    readonly expected: number,
  ) {
    super(`response body truncated (${received} of ${expected} bytes)`)
  }
}

/** The answer is (or says it is) larger than the caller's cap: refused, never retried. */
export class BodyTooLarge extends Error {
  constructor(
    readonly limit: number,
    readonly declared: number | undefined,
    readonly url: string,
  ) {
    super(declared === undefined ? `response body larger than ${limit} bytes` : `response body of ${declared} bytes, more than ${limit}`)
  }
}

/** The request did not complete within its total deadline (see limits.ts): never retried. */
export class DeadlineExceeded extends Error {
  constructor(
    readonly ms: number,
    readonly url: string,
    readonly received: number,
  ) {
    super(`no complete answer within ${ms} ms`)
  }
}

class RequestTimeout extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(ms: number) {
    super(`no response within ${ms} ms`)
  }
}

/**
 * The connection to the proxy itself failed (refused, unknown host, no answer): retried like
 * any connection failure, then reported naming the proxy and its variable (failure.ts). It
 * keeps only what may be shown: the proxy's credentials never reach an error.
 */
export class ProxyUnreachable extends Error {
  constructor(
    readonly proxy: Pick<ProxyChoice, 'display' | 'variable'>,
    readonly code: string,
  ) {
    super(`cannot reach the proxy ${proxy.display} (${code})`)
  }
}

/** Failures of the connection to the proxy (before it answered anything), by system code. */
const PROXY_CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET'])

function proxyConnectFailure(proxy: ProxyChoice, error: Error): Error {
  const code = (error as {code?: unknown}).code
  return typeof code === 'string' && PROXY_CONNECT_CODES.has(code) ? new ProxyUnreachable({display: proxy.display, variable: proxy.variable}, code) : error
}

/** The proxy answered instead of the registry: it wants credentials (407), or will not reach the target. */
function proxyRefusal(proxy: ProxyChoice, status: number, target: URL): Error {
  const details = {proxy: proxy.display, variable: proxy.variable, target: target.host, status}
  if (status === 407) {
    return new AuthError(
      `the proxy ${proxy.display} (from ${proxy.variable}) ${proxy.credentials ? 'refused the credentials in its URL' : 'requires authentication'} (HTTP 407)`,
      {
        hint: proxy.credentials
          ? `check the user name and password in ${proxy.variable}`
          : `put the proxy credentials in ${proxy.variable} (http://USER:PASSWORD@HOST:PORT)`,
        details,
      },
    )
  }
  return new RegistryError(`the proxy ${proxy.display} (from ${proxy.variable}) would not connect to ${target.host} (HTTP ${status})`, {
    hint: `the proxy cannot or may not reach ${target.host}: check its access rules, or list the host in NO_PROXY to reach it directly`,
    details,
  })
}

function bodyLength(body: RequestBody | undefined): number {
  if (body === undefined) return 0
  return typeof body === 'string' ? Buffer.byteLength(body) : body.length
}

/**
 * HTTP(S) with Node's own client: keep-alive agents bounded to `connections` sockets.
 * Node's http is already part of the runtime, where an HTTP library costs tens of
 * milliseconds to load on every CLI start.
 */
export class HttpTransport {
  private readonly agents: {http?: http.Agent; https?: https.Agent} = {}
  /** One agent per target scheme and proxy, each with the same per-origin bound. */
  private readonly proxied = new Map<string, http.Agent>()

  constructor(private readonly options: TransportOptions) {}

  private get pool(): http.AgentOptions {
    return {keepAlive: true, keepAliveMsecs: 10_000, maxSockets: this.options.connections, maxFreeSockets: this.options.connections}
  }

  private agent(protocol: string): http.Agent {
    if (protocol === 'https:') {
      this.agents.https ??= new (nodeHttps().Agent)({...this.pool, ca: this.options.ca, rejectUnauthorized: !this.options.insecure})
      return this.agents.https
    }
    this.agents.http ??= new (nodeHttp().Agent)(this.pool)
    return this.agents.http
  }

  /**
   * How a request to `target` leaves: directly, or through the proxy the environment names
   * for its scheme (looked up per request, so a redirect to another host is checked against
   * NO_PROXY afresh). https targets go through a CONNECT tunnel, with TLS to the registry
   * inside it (its CA and --insecure as for a direct connection); http targets as
   * absolute-form requests to the proxy.
   */
  private async route(target: URL): Promise<{agent: http.Agent; proxy?: ProxyChoice; tls: https.RequestOptions}> {
    const proxy = this.options.env ? proxyFor(target, this.options.env) : undefined
    if (!proxy) return {agent: this.agent(target.protocol), tls: {}}
    const secure = target.protocol === 'https:'
    const key = `${target.protocol} ${proxy.url.href}`
    // Loaded only behind a proxy: most runs never need them, and every start would pay for them.
    // Imported before the lookup, so no await falls between it and the set: one agent per proxy.
    const ProxyAgent = secure ? (await import('https-proxy-agent')).HttpsProxyAgent : (await import('http-proxy-agent')).HttpProxyAgent
    let agent = this.proxied.get(key)
    if (!agent) {
      agent = new ProxyAgent(proxy.url, this.pool)
      this.proxied.set(key, agent)
    }
    return {agent, proxy, tls: secure ? {ca: this.options.ca, rejectUnauthorized: !this.options.insecure} : {}}
  }

  /** The time `bytes` may take at the slowest accepted rate. */
  private allowanceMs(bytes: number): number {
    return Math.ceil((bytes / this.options.minBytesPerSecond) * 1000)
  }

  async request(url: string, init: TransportRequest): Promise<TransportResponse> {
    const target = new URL(url)
    const client = target.protocol === 'https:' ? nodeHttps() : nodeHttp()
    const started = Date.now()
    const {agent, proxy, tls} = await this.route(target)
    return new Promise((resolve, reject) => {
      // The status of the proxy's answer to CONNECT (200 for an absolute-form request); unset
      // until the proxy answered, so an earlier failure is the proxy's, not the registry's.
      let tunnel: number | undefined
      let streaming = false
      let received = 0
      // A cap or the deadline fired: that is the outcome, whatever error the teardown raises.
      let failure: Error | undefined
      let deadline: NodeJS.Timeout | undefined
      const settle = (error: Error | undefined, value?: TransportResponse) => {
        clearTimeout(deadline)
        if (failure ?? error) reject(failure ?? error)
        else resolve(value as TransportResponse)
      }
      const abortWith = (error: Error) => {
        failure ??= error
        req.destroy(error)
      }
      // Until the headers are in, the deadline covers connecting and sending; the headers
      // then extend it by what the body may weigh (the bytes limits.ts allows it): the
      // Content-Length, else the cap. Besides that upfront bound, the body must keep the
      // minimum rate as it goes (progressive): by any moment, at most timeout + (bytes
      // received + PROGRESS_SLACK_BYTES) at the minimum rate may have passed. Without it, a
      // chunked answer with no Content-Length could drip for the whole cap's allowance
      // (4 MiB at 32 KiB/s: ~133 s with a 5 s timeout); with it, ~timeout + 2 s.
      const requestBytes = bodyLength(init.body)
      const armDeadline = (bodyBytes: number, progressive: boolean) => {
        const upfront = this.options.timeoutMs + this.allowanceMs(requestBytes + bodyBytes)
        const bound = () =>
          progressive ? Math.min(upfront, this.options.timeoutMs + this.allowanceMs(requestBytes + received + PROGRESS_SLACK_BYTES)) : upfront
        // One timer, moved forward whenever it fires early because bytes arrived meanwhile.
        const check = () => {
          const total = bound()
          const left = started + total - Date.now()
          if (left <= 0) return abortWith(new DeadlineExceeded(total, url, received))
          clearTimeout(deadline)
          deadline = setTimeout(check, left)
          deadline.unref?.()
        }
        check()
      }
      const req = client.request(target, {method: init.method, headers: init.headers, agent, ...tls}, (res) => {
        const status = res.statusCode ?? 0
        if (proxy && ((tunnel !== undefined && tunnel !== 200) || status === 407)) {
          abortWith(proxyRefusal(proxy, tunnel !== undefined && tunnel !== 200 ? tunnel : status, target))
          res.resume()
          return settle(undefined)
        }
        const success = status >= 200 && status < 300
        const limit = success ? (init.maxBytes ?? MAX_DOCUMENT_BYTES) : MAX_ERROR_BODY_BYTES
        const expected = Number(res.headers['content-length'])
        const declared = Number.isFinite(expected) ? expected : undefined
        if (init.method !== 'HEAD' && declared !== undefined && declared > limit) {
          abortWith(new BodyTooLarge(limit, declared, url))
          res.resume()
          return settle(undefined)
        }
        armDeadline(init.method === 'HEAD' ? 0 : Math.min(declared ?? limit, limit), init.method !== 'HEAD')
        if (init.sink && init.method === 'GET' && success) {
          // From here the body loop below owns the outcome (a socket error ends it too).
          streaming = true
          streamBody(res, init.sink, limit, url, (n) => (received = n)).then(
            () => settle(undefined, {status, headers: res.headers, body: Buffer.alloc(0)}),
            (error: Error) => settle(error),
          )
          return
        }
        const chunks: Buffer[] = []
        let finished = false
        const finish = (error?: Error) => {
          if (finished) return
          finished = true
          if (failure) return settle(failure)
          if (init.method !== 'HEAD' && declared !== undefined && received < declared) return settle(new TruncatedBody(received, declared))
          if (error) return settle(error)
          settle(undefined, {status, headers: res.headers, body: Buffer.concat(chunks, received)})
        }
        res.on('data', (chunk: Buffer) => {
          if (failure) return
          if (received + chunk.length > limit) {
            abortWith(new BodyTooLarge(limit, undefined, url))
            return finish()
          }
          chunks.push(chunk)
          received += chunk.length
        })
        res.on('end', () => finish())
        res.on('aborted', () => finish(new TruncatedBody(received, declared ?? received + 1)))
        res.on('error', (error) => finish(error))
        res.on('close', () => {
          if (!res.complete) finish(new TruncatedBody(received, declared ?? received + 1))
        })
      })
      req.on('proxyConnect', (connect: {statusCode?: number}) => (tunnel = connect.statusCode ?? 200))
      armDeadline(0, false)
      req.setTimeout(this.options.timeoutMs, () => req.destroy(new RequestTimeout(this.options.timeoutMs)))
      req.on('error', (error) => {
        if (streaming) return
        settle(proxy && tunnel === undefined && !req.reusedSocket ? proxyConnectFailure(proxy, error) : error)
      })
      if (isStreamBody(init.body)) {
        // A read or socket failure destroys the request, whose 'error' rejects above.
        pipeline(Readable.from(init.body.open(), {objectMode: false}), req).catch((error: Error) => req.destroy(error))
      } else {
        req.end(init.body)
      }
    })
  }

  close(): void {
    this.agents.http?.destroy()
    this.agents.https?.destroy()
    for (const agent of this.proxied.values()) agent.destroy()
  }
}

/**
 * Hands the body to the sink one chunk at a time, never more than `limit` bytes in all. A
 * connection that ends or fails before Content-Length bytes arrived (or mid-body without
 * one) is a TruncatedBody, as for buffered bodies; an error from the sink is passed on as is.
 */
async function streamBody(res: http.IncomingMessage, sink: BodySink, limit: number, url: string, progress: (bytes: number) => void): Promise<void> {
  const expected = Number(res.headers['content-length'])
  let received = 0
  let streamError: Error | undefined
  const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  for (;;) {
    let next: IteratorResult<Buffer>
    try {
      next = await chunks.next()
    } catch (error) {
      streamError = error as Error
      break
    }
    if (next.done) break
    received += next.value.length
    progress(received)
    try {
      if (received > limit) throw new BodyTooLarge(limit, undefined, url)
      await sink.write(next.value)
    } catch (error) {
      res.destroy()
      throw error
    }
  }
  if (Number.isFinite(expected) && received < expected) throw new TruncatedBody(received, expected)
  if (streamError || !res.complete) throw new TruncatedBody(received, Number.isFinite(expected) ? expected : received + 1)
}
