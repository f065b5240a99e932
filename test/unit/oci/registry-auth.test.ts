import {afterEach, describe, expect, it} from 'vitest'

import {AuthError, ProvisioningError} from '../../../src/lib/errors.js'
import type {Credential} from '../../../src/lib/oci/credentials.js'
import {RegistryClient} from '../../../src/lib/oci/registry-client.js'
import {answer, type ReceivedRequest, type ScriptedHandler, type ScriptedServer, scriptedServerPool} from '../../helpers/scripted-http.js'

/**
 * The auth layer through RegistryClient against real local servers: a registry that
 * challenges (Bearer or Basic) and a token service, both on 127.0.0.1.
 */
const ALICE: Credential = {kind: 'basic', username: 'alice', password: 's3cret'}
const ALICE_BASIC = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`
const PULL = 'repository:ns/app:pull'

const {serve, closeAll} = scriptedServerPool()
const clients: RegistryClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close()
  await closeAll()
})

function clientFor(host: string, credential: Credential | undefined, lookups = {count: 0}): RegistryClient {
  const client = new RegistryClient({
    host,
    plainHttp: true,
    timeoutMs: 5000,
    minBytesPerSecond: 1_000_000,
    retries: 0,
    connections: 2,
    credentials: async () => {
      lookups.count++
      return credential
    },
  })
  clients.push(client)
  return client
}

/** A token service handing out tok-N (N counting up) to alice, or to anyone when `anonymous`. */
function tokenService(anonymous = false): ScriptedHandler {
  let issued = 0
  return (req, res) => {
    if (!anonymous && req.headers.authorization !== ALICE_BASIC) return answer(res, 401, {}, {errors: [{code: 'UNAUTHORIZED'}]})
    answer(res, 200, {'content-type': 'application/json'}, {token: `tok-${++issued}`, expires_in: 300})
  }
}

/** A registry that wants `Bearer <token>` (any token in `accepted`) and names `realm`. */
function bearerRegistry(realm: () => string, accepted: (token: string) => boolean): ScriptedHandler {
  return (req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (token && accepted(token)) return answer(res, 200, {'content-type': 'application/json'}, {ok: req.url})
    answer(
      res,
      401,
      {'www-authenticate': `Bearer realm="${realm()}",service="test-registry",scope="${PULL}"`},
      {errors: [{code: 'UNAUTHORIZED', message: 'authentication required'}]},
    )
  }
}

const manifestGet = {method: 'GET' as const, path: '/v2/ns/app/manifests/1.0.0', scopes: [PULL]}
const tokenRequests = (server: ScriptedServer): ReceivedRequest[] => server.requests.filter((r) => r.url.startsWith('/token'))

describe('registry auth layer', () => {
  it('a Bearer challenge: the token comes from the realm with the credentials, is cached per scope set and reused', async () => {
    const issuer = tokenService()
    const registry: ScriptedServer = await serve((req, res) =>
      req.url.startsWith('/token')
        ? issuer(req, res)
        : bearerRegistry(
            () => `${registry.url}/token`,
            (t) => t.startsWith('tok-'),
          )(req, res),
    )
    const client = clientFor(registry.host, ALICE)
    await client.ping()
    const first = await client.send(manifestGet, 'get manifest')
    const second = await client.send(manifestGet, 'get manifest')
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    const tokens = tokenRequests(registry)
    expect(tokens).toHaveLength(1)
    const query = new URL(tokens[0].url, registry.url).searchParams
    expect(query.get('service')).toBe('test-registry')
    expect(query.getAll('scope')).toEqual([PULL])
    expect(tokens[0].headers.authorization).toBe(ALICE_BASIC)
    const manifestRequests = registry.requests.filter((r) => r.url === manifestGet.path)
    expect(manifestRequests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1'])
    // Another scope set needs its own token.
    await client.send({method: 'GET', path: '/v2/ns/app/tags/list', scopes: ['repository:ns/app:pull,push']}, 'list tags')
    expect(tokenRequests(registry)).toHaveLength(2)
  })

  it('a token the registry refuses is dropped and a fresh one fetched, not resent', async () => {
    const issuer = tokenService()
    const registry: ScriptedServer = await serve((req, res) =>
      req.url.startsWith('/token')
        ? issuer(req, res)
        : bearerRegistry(
            () => `${registry.url}/token`,
            (t) => t !== 'tok-1',
          )(req, res),
    )
    const client = clientFor(registry.host, ALICE)
    await client.ping()
    const res = await client.send(manifestGet, 'get manifest')
    expect(res.status).toBe(200)
    expect(registry.requests.filter((r) => r.url === manifestGet.path).map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2'])
  })

  it('without a ping, the first 401 teaches the challenge and the request is repeated with a token', async () => {
    const issuer = tokenService(true)
    const registry: ScriptedServer = await serve((req, res) =>
      req.url.startsWith('/token')
        ? issuer(req, res)
        : bearerRegistry(
            () => `${registry.url}/token`,
            () => true,
          )(req, res),
    )
    const res = await clientFor(registry.host, undefined).send(manifestGet, 'get manifest')
    expect(res.status).toBe(200)
    expect(registry.requests.map((r) => [r.url.split('?')[0], r.headers.authorization])).toEqual([
      [manifestGet.path, undefined],
      ['/token', undefined],
      [manifestGet.path, 'Bearer tok-1'],
    ])
  })

  it('a Basic challenge: the stored username and password go with each request', async () => {
    const registry = await serve((req, res) =>
      req.headers.authorization === ALICE_BASIC ? answer(res, 200, {}, {ok: true}) : answer(res, 401, {'www-authenticate': 'Basic realm="registry"'}),
    )
    const client = clientFor(registry.host, ALICE)
    await client.ping()
    await client.send(manifestGet, 'get manifest')
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual([undefined, ALICE_BASIC])
  })

  it('a Basic challenge without stored credentials: AuthError saying to log in', async () => {
    const registry = await serve((_req, res) => answer(res, 401, {'www-authenticate': 'Basic realm="registry"'}))
    const error = await clientFor(registry.host, undefined)
      .send(manifestGet, 'get manifest')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).message).toBe(`get manifest: authentication required or rejected by ${registry.host} (no credentials found)`)
    expect((error as AuthError).hint).toBe(`log in with "provisioning oci login ${registry.host}"`)
  })

  it('401 insufficient_scope to a logged-in user is "access denied" (403), not "log in"', async () => {
    const issuer = tokenService()
    const registry: ScriptedServer = await serve((req, res) =>
      req.url.startsWith('/token')
        ? issuer(req, res)
        : answer(
            res,
            401,
            {'www-authenticate': `Bearer realm="${registry.url}/token",service="s",error="insufficient_scope"`},
            {errors: [{code: 'DENIED', message: 'no push'}]},
          ),
    )
    const error = await clientFor(registry.host, ALICE)
      .send(manifestGet, 'get manifest')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).message).toBe(`get manifest: access denied by ${registry.host} (DENIED: no push)`)
    expect((error as AuthError).details).toEqual({registry: registry.host, status: 403})
  })

  it('a token realm on another loopback host gets the credentials (both reached over plain HTTP on this machine)', async () => {
    const issuer = await serve(tokenService())
    const realm = `http://localhost:${issuer.host.split(':')[1]}/token`
    const registry = await serve(
      bearerRegistry(
        () => realm,
        (t) => t === 'tok-1',
      ),
    )
    const client = clientFor(registry.host, ALICE)
    await client.ping()
    expect((await client.send(manifestGet, 'get manifest')).status).toBe(200)
    expect(issuer.requests.map((r) => r.headers.authorization)).toEqual([ALICE_BASIC])
    expect(registry.requests.every((r) => r.headers.authorization !== ALICE_BASIC)).toBe(true)
  })

  it('a plain-HTTP token realm on a host that is not loopback never gets the credentials: refused before the token request', async () => {
    const registry = await serve(
      bearerRegistry(
        () => 'http://192.0.2.1/token',
        () => false,
      ),
    )
    const client = clientFor(registry.host, ALICE)
    await client.ping()
    const error = await client.send(manifestGet, 'get manifest').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).message).toBe(
      `${registry.host} asks for the credentials to be sent to http://192.0.2.1 over plain HTTP; refused, they were not sent`,
    )
    expect((error as AuthError).details).toEqual({registry: registry.host, realm: 'http://192.0.2.1'})
    expect(registry.requests.every((r) => r.headers.authorization === undefined)).toBe(true)
  })

  it('a token realm that is not an http(s) URL is refused', async () => {
    const registry = await serve(
      bearerRegistry(
        () => 'file:///etc/passwd',
        () => false,
      ),
    )
    const client = clientFor(registry.host, undefined)
    await client.ping()
    const error = await client.send(manifestGet, 'get manifest').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).message).toBe(`${registry.host} names a token realm that is not an http(s) URL: "file:///etc/passwd"`)
  })

  it('a token service that refuses the credentials: AuthError naming the registry, the secret never in the error', async () => {
    const registry: ScriptedServer = await serve((req, res) =>
      req.url.startsWith('/token')
        ? answer(res, 401, {}, {errors: [{code: 'UNAUTHORIZED'}]})
        : bearerRegistry(
            () => `${registry.url}/token`,
            () => false,
          )(req, res),
    )
    const client = clientFor(registry.host, ALICE)
    await client.ping()
    const error = await client.send(manifestGet, 'get manifest').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).message).toBe(`the token service of ${registry.host} rejected the credentials (HTTP 401)`)
    expect(JSON.stringify({...(error as AuthError), message: (error as Error).message})).not.toContain('s3cret')
  })

  it('over plain HTTP to a host that is not loopback, credentials are withheld: login refused before any request or lookup', async () => {
    const lookups = {count: 0}
    const error = await clientFor('192.0.2.1:5000', ALICE, lookups)
      .verifyLogin()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProvisioningError)
    expect((error as AuthError).code).toBe('E_AUTH')
    expect((error as AuthError).message).toBe(
      'login to 192.0.2.1:5000: 192.0.2.1:5000 requires credentials, but it is reached over plain HTTP and is not a loopback host; stored credentials are never sent to it, none were sent',
    )
    expect((error as AuthError).details).toEqual({registry: '192.0.2.1:5000', cleartext: true})
    expect(lookups.count).toBe(0)
  })

  it('oci login: GET /v2/ is repeated with the credentials after the challenge', async () => {
    const registry = await serve((req, res) =>
      req.headers.authorization === ALICE_BASIC ? answer(res, 200, {}, {}) : answer(res, 401, {'www-authenticate': 'Basic realm="registry"'}),
    )
    await clientFor(registry.host, ALICE).verifyLogin()
    expect(registry.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/v2/', undefined],
      ['/v2/', ALICE_BASIC],
    ])
  })

  it('credentials do not follow a redirect to another host (blob storage)', async () => {
    const storage = await serve((_req, res) => answer(res, 200, {}, 'blob bytes'))
    const storageUrl = `http://localhost:${storage.host.split(':')[1]}/blob?sig=1`
    const registry = await serve((req, res) =>
      req.headers.authorization !== ALICE_BASIC ? answer(res, 401, {'www-authenticate': 'Basic realm="registry"'}) : answer(res, 307, {location: storageUrl}),
    )
    const client = clientFor(registry.host, ALICE)
    await client.ping()
    const res = await client.send({method: 'GET', path: '/v2/ns/app/blobs/sha256:abc', scopes: [PULL]}, 'get blob')
    expect(res.body.toString()).toBe('blob bytes')
    expect(res.url).toBe(storageUrl)
    expect(registry.requests.at(-1)?.headers.authorization).toBe(ALICE_BASIC)
    expect(storage.requests).toHaveLength(1)
    expect(storage.requests[0].headers.authorization).toBeUndefined()
  })
})
