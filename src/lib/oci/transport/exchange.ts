import type {BodySink, RequestBody} from '../http-transport.js'

/** One request to a registry, as the layers above the base transport see it. */
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
  headers: ResponseHeaders
  body: Buffer
  /** Where the answer came from, after redirects. */
  url: string
}

export type ResponseHeaders = Record<string, string | string[] | undefined>

/** The first value of a response header (names in lower case, as Node gives them). */
export function responseHeader(response: {headers: ResponseHeaders}, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}
