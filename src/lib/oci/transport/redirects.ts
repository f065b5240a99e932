import {RegistryError} from '../../errors.js'
import type {HttpTransport} from '../http-transport.js'
import {type RegistryRequest, type RegistryResponse, responseHeader} from './exchange.js'

const MAX_REDIRECT_HOPS = 5
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308])

export interface RedirectTarget {
  /** scheme://host[:port] of the registry: relative paths resolve against it, Authorization stays on its origin. */
  base: string
  /** The registry as configured, for messages. */
  host: string
}

/**
 * The redirect layer: one request over the base transport, following redirects of GET and
 * HEAD by hand (blob storage behind the registry) so that the Authorization header never
 * leaves the registry's origin and an HTTPS request is never sent on to plain HTTP. At
 * most MAX_REDIRECT_HOPS answers are read.
 */
export class RedirectingExchange {
  private readonly origin: string

  constructor(
    private readonly target: RedirectTarget,
    private readonly transport: () => Promise<HttpTransport>,
  ) {
    this.origin = new URL(target.base).origin
  }

  async exchange(request: RegistryRequest, authorization: string | undefined): Promise<RegistryResponse> {
    const transport = await this.transport()
    let url = request.path.startsWith('http') ? request.path : `${this.target.base}${request.path}`
    for (let hop = 0; hop < MAX_REDIRECT_HOPS; hop++) {
      const headers: Record<string, string> = {'user-agent': 'provisioning-cli', ...request.headers}
      if (authorization && new URL(url).origin === this.origin) headers.authorization = authorization
      if (request.body !== undefined)
        headers['content-length'] = String(typeof request.body === 'string' ? Buffer.byteLength(request.body) : request.body.length)
      const res = await transport.request(url, {method: request.method, headers, body: request.body, sink: request.sink, maxBytes: request.maxBytes})
      const location = responseHeader(res, 'location')
      if (REDIRECT_STATUS.has(res.status) && location && (request.method === 'GET' || request.method === 'HEAD')) {
        const next = new URL(location, url)
        refuseDowngrade(url, next, this.target.host)
        url = next.toString()
        continue
      }
      return {status: res.status, headers: res.headers, body: res.body, url}
    }
    throw new RegistryError(`too many redirects from ${this.target.host}`, {hint: 'check the registry configuration'})
  }
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
