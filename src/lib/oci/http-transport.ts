import http from 'node:http'
import https from 'node:https'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

export interface TransportOptions {
  /** Upper bound of parallel sockets per origin. */
  connections: number
  timeoutMs: number
  ca?: string
  insecure?: boolean
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

export function isStreamBody(body: RequestBody | undefined): body is StreamBody {
  return typeof body === 'object' && !Buffer.isBuffer(body)
}

/** The connection closed before the body reached its Content-Length: damaged in transit, worth a retry. */
export class TruncatedBody extends Error {
  readonly code = 'ERR_TRUNCATED_BODY'
  constructor(readonly received: number, readonly expected: number) {
    super(`response body truncated (${received} of ${expected} bytes)`)
  }
}

class RequestTimeout extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(ms: number) {
    super(`no response within ${ms} ms`)
  }
}

/**
 * HTTP(S) with Node's own client: keep-alive agents bounded to `connections` sockets.
 * Node's http is already part of the runtime, where an HTTP library costs tens of
 * milliseconds to load on every CLI start.
 */
export class HttpTransport {
  private readonly agents: {http?: http.Agent; https?: https.Agent} = {}

  constructor(private readonly options: TransportOptions) {}

  private agent(protocol: string): http.Agent {
    const common = {keepAlive: true, keepAliveMsecs: 10_000, maxSockets: this.options.connections, maxFreeSockets: this.options.connections}
    if (protocol === 'https:') {
      this.agents.https ??= new https.Agent({...common, ca: this.options.ca, rejectUnauthorized: !this.options.insecure})
      return this.agents.https
    }
    this.agents.http ??= new http.Agent(common)
    return this.agents.http
  }

  request(url: string, init: {method: string; headers: Record<string, string>; body?: RequestBody; sink?: BodySink}): Promise<TransportResponse> {
    const target = new URL(url)
    const client = target.protocol === 'https:' ? https : http
    return new Promise((resolve, reject) => {
      let streaming = false
      const req = client.request(target, {method: init.method, headers: init.headers, agent: this.agent(target.protocol)}, (res) => {
        const status = res.statusCode ?? 0
        if (init.sink && init.method === 'GET' && status >= 200 && status < 300) {
          // From here the body loop below owns the outcome (a socket error ends it too).
          streaming = true
          streamBody(res, init.sink).then(() => resolve({status, headers: res.headers, body: Buffer.alloc(0)}), reject)
          return
        }
        const chunks: Buffer[] = []
        let received = 0
        const expected = Number(res.headers['content-length'])
        const finish = (error?: Error) => {
          if (init.method !== 'HEAD' && Number.isFinite(expected) && received < expected) return reject(new TruncatedBody(received, expected))
          if (error) return reject(error)
          resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, received)})
        }
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk)
          received += chunk.length
        })
        res.on('end', () => finish())
        res.on('aborted', () => finish(new TruncatedBody(received, Number.isFinite(expected) ? expected : received + 1)))
        res.on('error', (error) => finish(error))
      })
      req.setTimeout(this.options.timeoutMs, () => req.destroy(new RequestTimeout(this.options.timeoutMs)))
      req.on('error', (error) => {
        if (!streaming) reject(error)
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
  }
}

/**
 * Hands the body to the sink one chunk at a time. A connection that ends or fails before
 * Content-Length bytes arrived (or mid-body without one) is a TruncatedBody, as for
 * buffered bodies; an error from the sink is passed on as is.
 */
async function streamBody(res: http.IncomingMessage, sink: BodySink): Promise<void> {
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
    try {
      await sink.write(next.value)
    } catch (error) {
      res.destroy()
      throw error
    }
  }
  if (Number.isFinite(expected) && received < expected) throw new TruncatedBody(received, expected)
  if (streamError || !res.complete) throw new TruncatedBody(received, Number.isFinite(expected) ? expected : received + 1)
}
