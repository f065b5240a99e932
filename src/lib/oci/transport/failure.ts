import {IntegrityError, isProvisioningError, RegistryError} from '../../errors.js'
import {BodyTooLarge, DeadlineExceeded, ProxyUnreachable, TruncatedBody} from '../http-transport.js'
import {errorCode, RetryableStatus} from './retry.js'

/** The registry a failure is about: `host` in messages, `base` (scheme://host) for "cannot reach". */
export interface FailureTarget {
  host: string
  base: string
}

/** The typed error (exit code and hint) for what stopped `what` after the retry layer gave up. */
export function transportFailure(target: FailureTarget, what: string, error: unknown, attempts: number): Error {
  const {host, base} = target
  // Our own errors (404, 401/403, integrity) already say what happened.
  if (isProvisioningError(error)) return error
  if (error instanceof BodyTooLarge) {
    const size = error.declared === undefined ? 'more than' : `${error.declared} bytes, more than`
    return new IntegrityError(`${what}: ${host} sent ${size} the ${error.limit} bytes allowed; refused, nothing was kept`, {
      hint: 'the registry is misbehaving or hostile (an oversized document, or a blob larger than its manifest says); report it to the registry operator and do not use this artifact',
      details: {registry: host, limit: error.limit, declaredBytes: error.declared, url: error.url},
    })
  }
  if (error instanceof DeadlineExceeded) {
    return new RegistryError(
      `${what}: ${host} did not answer completely within the deadline of ${Math.round(error.ms / 1000)} s (${error.received} body bytes arrived)`,
      {
        hint: 'the registry or the network is far too slow (or drip-feeds its answer); retry later, or raise oci.timeout_seconds or lower oci.min_transfer_rate_kib for a slow link',
        details: {registry: host, deadlineMs: error.ms, receivedBytes: error.received, url: error.url},
      },
    )
  }
  if (error instanceof TruncatedBody) {
    // The registry answered, but the content never arrived whole: nothing was cached or written.
    return new IntegrityError(`${what}: the response from ${host} was cut short (${error.received} of ${error.expected} bytes) on ${attempts} attempt(s)`, {
      hint: 'the content is damaged in transit (a proxy or the network closes the connection early); retry later, or check what sits between you and the registry',
      details: {registry: host, expectedBytes: error.expected, receivedBytes: error.received},
    })
  }
  if (error instanceof RetryableStatus) {
    const {status} = error.response
    return new RegistryError(`${what}: ${host} answered HTTP ${status}${status === 429 ? ' (too many requests)' : ''} after ${attempts} attempt(s)`, {
      hint:
        status === 429 ? 'the registry is rate-limiting; wait and retry, or lower oci.concurrency' : 'the registry is failing; retry later or check its logs',
      details: {registry: host, status},
    })
  }
  if (error instanceof ProxyUnreachable) {
    const {display, variable} = error.proxy
    return new RegistryError(
      `${what}: cannot reach the proxy ${display} (set by ${variable}) on the way to ${host} (${error.code}) after ${attempts} attempt(s)`,
      {
        hint: `is the proxy running, and is ${variable} right? To reach ${host} without it, list the host in NO_PROXY`,
        details: {registry: host, proxy: display, variable, code: error.code},
      },
    )
  }
  const code = errorCode(error)
  if (code) {
    return new RegistryError(`${what}: cannot reach ${base} (${code}) after ${attempts} attempt(s)`, {
      hint:
        code === 'ECONNREFUSED'
          ? 'is the registry running and is oci.registry right? ("provisioning oci config" shows what is used)'
          : /CERT|SSL|TLS/.test(code)
            ? 'TLS failed: set oci.ca_file to the registry CA, or oci.tls_enabled=false for a plain-HTTP registry'
            : 'check the network and the registry address',
      details: {registry: host, code},
      cause: error,
    })
  }
  if (error instanceof Error && /certificate|self.signed|SSL|TLS/i.test(error.message)) {
    return new RegistryError(`${what}: TLS connection to ${host} failed: ${error.message}`, {
      hint: 'set oci.ca_file to the CA that signed the registry certificate, or --insecure to skip verification (never in production)',
      details: {registry: host},
    })
  }
  return error instanceof Error ? error : new RegistryError(`${what}: ${String(error)}`)
}
