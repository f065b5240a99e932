import {AuthError} from '../../errors.js'
import type {Challenge} from '../auth-challenge.js'
import type {Credential} from '../credentials.js'
import type {HttpTransport} from '../http-transport.js'
import {MAX_TOKEN_RESPONSE_BYTES} from '../limits.js'
import {cleartextRefusal, type CredentialTarget, refuseCleartextCredentials} from './cleartext.js'
import {unlessRetryable} from './retry.js'

export interface TokenServiceAccess extends CredentialTarget {
  /** Credentials withheld from this registry (cleartext.ts): a refusal then says so. */
  withheld: boolean
  transport: () => Promise<HttpTransport>
  /** The retry layer, as the registry's own requests use it. */
  retry: <T>(what: string, attempt: () => Promise<T>) => Promise<T>
}

export interface IssuedToken {
  token: string
  /** Epoch ms after which the token is not used any more. */
  expires: number
}

/**
 * A token from the realm a Bearer challenge names (the Docker token flow): anonymous, with
 * Basic credentials, or an identity token exchanged as an OAuth2 refresh token. The realm
 * may be on another host; credentials only go there as cleartext.ts allows.
 */
export async function requestToken(
  access: TokenServiceAccess,
  challenge: Challenge,
  scopes: string[],
  credential: Credential | undefined,
): Promise<IssuedToken> {
  const {host} = access
  if (!challenge.realm) throw new AuthError(`${host} asked for a bearer token but named no realm`, {hint: 'check the registry auth configuration'})
  const transport = await access.transport()
  const url = tokenRealm(challenge.realm, host)
  if (credential?.kind === 'basic' || credential?.kind === 'identity-token') refuseCleartextCredentials(url, access)
  if (challenge.service) url.searchParams.set('service', challenge.service)
  for (const s of scopes) url.searchParams.append('scope', s)
  const headers: Record<string, string> = {'user-agent': 'provisioning-cli'}
  let method: 'GET' | 'POST' = 'GET'
  let body: string | undefined
  if (credential?.kind === 'basic') headers.authorization = basicAuthorization(credential)
  if (credential?.kind === 'identity-token') {
    // OAuth2 refresh-token exchange, as Docker does for identity tokens.
    method = 'POST'
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams({
      grant_type: 'refresh_token',
      service: challenge.service ?? '',
      scope: scopes.join(' '),
      refresh_token: credential.token,
      client_id: 'provisioning-cli',
    }).toString()
  }
  const res = await access.retry('token request', async () => {
    const r = unlessRetryable(
      await transport.request(method === 'GET' ? url.toString() : `${url.origin}${url.pathname}`, {method, headers, body, maxBytes: MAX_TOKEN_RESPONSE_BYTES}),
    )
    return {status: r.status, text: r.body.toString('utf8')}
  })
  if (res.status === 401 || res.status === 403) {
    if (access.withheld) throw cleartextRefusal(host, 'token request', res.status, access.remoteProxy)
    throw new AuthError(`the token service of ${host} rejected ${credential ? 'the credentials' : 'anonymous access'} (HTTP ${res.status})`, {
      hint: `log in with "provisioning oci login ${host}"`,
      details: {registry: host, status: res.status},
    })
  }
  if (res.status >= 300)
    throw new AuthError(`token request to ${url.origin} failed with HTTP ${res.status}`, {
      hint: 'check the registry auth service',
      details: {status: res.status},
    })
  let data: {token?: string; access_token?: string; expires_in?: number}
  try {
    data = JSON.parse(res.text) as typeof data
  } catch {
    throw new AuthError(`the token service of ${host} (${url.origin}) answered something that is not JSON`, {
      hint: 'check the registry auth service',
      details: {registry: host},
    })
  }
  const token = data.token ?? data.access_token
  if (!token) throw new AuthError(`the token service of ${host} returned no token`, {hint: 'check the registry auth service'})
  // Refresh a little early so a token never expires between check and use.
  const lifetime = Math.max((data.expires_in ?? 60) - 10, 5) * 1000
  return {token, expires: Date.now() + lifetime}
}

/** The Authorization header value of a username and password. */
export function basicAuthorization(credential: {username: string; password: string}): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`
}

function tokenRealm(realm: string, host: string): URL {
  let url: URL | undefined
  try {
    url = new URL(realm)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new AuthError(`${host} names a token realm that is not an http(s) URL: ${JSON.stringify(realm.slice(0, 200))}`, {
      hint: 'check the registry auth configuration',
      details: {registry: host},
    })
  }
  return url
}
