import {isProvisioningError} from '../../errors.js'
import {TruncatedBody} from '../http-transport.js'
import {type ResponseHeaders, responseHeader} from './exchange.js'

/**
 * The retry layer: which failures are worth another attempt, and how long to wait before it.
 * Retried: 408/429/5xx answers (thrown as RetryableStatus by whoever reads the status),
 * bodies cut short in transit, and connection failures. Never retried: our own typed
 * errors, oversized answers and missed deadlines (see http-transport.ts).
 */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504])
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const MAX_RETRY_AFTER_MS = 30_000

/** An answer whose status says "try again": thrown so that the retry loop sees it. */
export class RetryableStatus extends Error {
  constructor(readonly response: {status: number; headers: ResponseHeaders}) {
    super(`HTTP ${response.status}`)
  }
}

/** Throws RetryableStatus for a 408/429/5xx answer, else returns it. */
export function unlessRetryable<R extends {status: number; headers: ResponseHeaders}>(response: R): R {
  if (RETRYABLE_STATUS.has(response.status)) throw new RetryableStatus(response)
  return response
}

/** The system error code of a transport failure (never our own errors' E_* codes). */
export function errorCode(error: unknown): string | undefined {
  if (isProvisioningError(error)) return undefined
  const e = error as {code?: string; cause?: {code?: string}}
  return e?.code ?? e?.cause?.code
}

function isRetryable(error: unknown): boolean {
  return error instanceof RetryableStatus || error instanceof TruncatedBody || RETRYABLE_CODES.has(errorCode(error) ?? '')
}

function retryAfterMs(headers: ResponseHeaders): number | undefined {
  const value = responseHeader({headers}, 'retry-after')
  if (!value) return undefined
  const seconds = Number(value)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now()
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined
}

/** Exponential backoff with jitter; a retryable status's Retry-After (capped) wins. */
function waitMs(error: unknown, tryNo: number): number {
  const backoff = Math.min(200 * 2 ** tryNo, 5000) * (0.75 + Math.random() * 0.5)
  return error instanceof RetryableStatus ? (retryAfterMs(error.response.headers) ?? backoff) : backoff
}

/**
 * Runs `attempt` up to `retries` + 1 times while it fails with a retryable error; the last
 * error and the number of attempts made go to `giveUp`, whose error is thrown. An attempt
 * that sends a body re-opens it (StreamBody.open() per send), so a retry starts it over.
 */
export async function retrying<T>(retries: number, attempt: () => Promise<T>, giveUp: (error: unknown, attempts: number) => Error): Promise<T> {
  let lastError: unknown
  let attempts = 0
  for (let tryNo = 0; tryNo <= retries; tryNo++) {
    try {
      attempts++
      return await attempt()
    } catch (error) {
      lastError = error
      if (!isRetryable(error) || tryNo === retries) break
      await new Promise((resolve) => setTimeout(resolve, waitMs(error, tryNo)))
    }
  }
  throw giveUp(lastError, attempts)
}
