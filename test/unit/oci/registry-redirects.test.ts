import {afterAll, afterEach, describe, expect, it} from 'vitest'

import {RegistryError} from '../../../src/lib/errors.js'
import {HttpTransport} from '../../../src/lib/oci/http-transport.js'
import {RedirectingExchange} from '../../../src/lib/oci/transport/redirects.js'
import {answer, type ScriptedServer, scriptedServerPool} from '../../helpers/scripted-http.js'

/**
 * The redirect layer over the base transport against real local servers: relative and
 * absolute Locations, the hop bound, Authorization only on the registry's own origin, and
 * only GET/HEAD followed.
 */
const {serve, closeAll} = scriptedServerPool()
const transport = new HttpTransport({connections: 2, timeoutMs: 5000, minBytesPerSecond: 1_000_000})

afterEach(async () => {
  await closeAll()
})
afterAll(() => transport.close())

function exchangeFor(server: ScriptedServer): RedirectingExchange {
  return new RedirectingExchange({base: server.url, host: server.host}, async () => transport)
}

describe('registry redirect layer', () => {
  it('follows a relative Location on the same origin, keeping the Authorization header', async () => {
    const server = await serve((req, res) => (req.url === '/v2/a' ? answer(res, 302, {location: '/v2/b?x=1'}) : answer(res, 200, {}, 'b')))
    const res = await exchangeFor(server).exchange({method: 'GET', path: '/v2/a', scopes: []}, 'Bearer t')
    expect(res.status).toBe(200)
    expect(res.body.toString()).toBe('b')
    expect(res.url).toBe(`${server.url}/v2/b?x=1`)
    expect(server.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/v2/a', 'Bearer t'],
      ['/v2/b?x=1', 'Bearer t'],
    ])
  })

  it('follows an absolute Location to another host without the Authorization header, for HEAD too', async () => {
    const storage = await serve((_req, res) => answer(res, 200, {}, 'blob'))
    const registry = await serve((_req, res) => answer(res, 307, {location: `${storage.url}/blob`}))
    for (const method of ['GET', 'HEAD'] as const) {
      const res = await exchangeFor(registry).exchange({method, path: '/v2/ns/app/blobs/sha256:1', scopes: []}, 'Basic c2VjcmV0')
      expect(res.status).toBe(200)
      expect(res.url).toBe(`${storage.url}/blob`)
    }
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual(['Basic c2VjcmV0', 'Basic c2VjcmV0'])
    expect(storage.requests.map((r) => [r.method, r.headers.authorization])).toEqual([
      ['GET', undefined],
      ['HEAD', undefined],
    ])
  })

  it('the same path on another port is another origin: no Authorization there either', async () => {
    const other = await serve((_req, res) => answer(res, 200, {}, 'other'))
    const otherPort = other.host.split(':')[1]
    const registry = await serve((_req, res) => answer(res, 301, {location: `http://localhost:${otherPort}/v2/x`}))
    await exchangeFor(registry).exchange({method: 'GET', path: '/v2/x', scopes: []}, 'Bearer t')
    expect(other.requests[0].headers.authorization).toBeUndefined()
  })

  it('a redirect loop ends after 5 answers with a RegistryError', async () => {
    const server = await serve((_req, res) => answer(res, 302, {location: '/v2/loop'}))
    const error = await exchangeFor(server)
      .exchange({method: 'GET', path: '/v2/loop', scopes: []}, undefined)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).message).toBe(`too many redirects from ${server.host}`)
    expect(server.requests).toHaveLength(5)
  })

  it('a redirect of a request with a body (POST, PUT) is returned as the answer, not followed', async () => {
    const server = await serve((_req, res) => answer(res, 307, {location: '/elsewhere'}))
    for (const method of ['POST', 'PUT'] as const) {
      const res = await exchangeFor(server).exchange({method, path: '/v2/ns/app/blobs/uploads/', body: 'data', scopes: []}, undefined)
      expect(res.status).toBe(307)
    }
    expect(server.requests.map((r) => [r.method, r.url, r.body.toString()])).toEqual([
      ['POST', '/v2/ns/app/blobs/uploads/', 'data'],
      ['PUT', '/v2/ns/app/blobs/uploads/', 'data'],
    ])
  })

  it('an absolute request URL (an upload Location) is used as is', async () => {
    const server = await serve((_req, res) => answer(res, 201))
    const res = await exchangeFor(server).exchange({method: 'PUT', path: `${server.url}/upload/abc?digest=sha256:1`, scopes: []}, undefined)
    expect(res.status).toBe(201)
    expect(server.requests[0].url).toBe('/upload/abc?digest=sha256:1')
  })
})
