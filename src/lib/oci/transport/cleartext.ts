import {AuthError} from '../../errors.js'
import {isLoopbackHost} from '../transport-policy.js'

/** A registry host and whether it is reached over plain HTTP. */
export interface CredentialTarget {
  host: string
  plainHttp: boolean
  /**
   * The proxy (masked) that plain-HTTP requests to this registry go through, when it is not
   * on this machine: the clear text then crosses the network even to a loopback registry
   * (which is the proxy's own loopback, another machine's).
   */
  remoteProxy?: string
}

/**
 * Plain HTTP to a host that is not loopback: every request goes anonymously, whatever
 * credentials are stored for it (SPEC §14, README "Credentials only where they belong").
 * A workspace declaration arrives through pull requests and can name any host as its
 * registry with `tls_enabled: false`; the user's password for that host must not then
 * cross the network in clear text. Tokens the registry's token service issues to an
 * anonymous request carry no stored secret and are still used.
 */
export function credentialsWithheld(target: CredentialTarget): boolean {
  return target.plainHttp && (!isLoopbackHost(target.host) || target.remoteProxy !== undefined)
}

/**
 * The answer when a registry reached over plain HTTP on a host that is not loopback
 * demands credentials: they were withheld, nothing secret was sent.
 */
export function cleartextRefusal(host: string, what: string, status?: number, remoteProxy?: string): AuthError {
  const why = remoteProxy ? `through the proxy ${remoteProxy}, which is not on this machine` : 'and is not a loopback host'
  return new AuthError(
    `${what}: ${host} requires credentials, but it is reached over plain HTTP ${why}; stored credentials are never sent to it, none were sent`,
    {
      hint: `serve the registry over TLS; credentials are never sent in clear text to another host (then set oci.tls_enabled=true for it, with oci.ca_file for a private CA)`,
      details: {registry: host, ...(status === undefined ? {} : {status}), ...(remoteProxy ? {proxy: remoteProxy} : {}), cleartext: true},
    },
  )
}

/**
 * Where credentials may go (SPEC §14, README "Security model"). Registries on a host that is
 * not loopback and reached over plain HTTP never get any (credentialsWithheld); for the
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
export function refuseCleartextCredentials(realm: URL, target: CredentialTarget): void {
  if (realm.protocol === 'https:' || (target.plainHttp && isLoopbackHost(target.host) && isLoopbackHost(realm.host))) return
  throw new AuthError(`${target.host} asks for the credentials to be sent to ${realm.origin} over plain HTTP; refused, they were not sent`, {
    hint: target.plainHttp
      ? `the registry's token realm must be https, or on this machine (loopback) for a local registry (fix its auth.token.realm); credentials are never sent in clear text to another host`
      : `the registry's token realm must be https (fix its auth.token.realm); credentials are never sent in clear text to another host`,
    details: {registry: target.host, realm: realm.origin},
  })
}
