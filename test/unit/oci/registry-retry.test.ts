import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {IntegrityError, NotFoundError, RegistryError} from '../../../src/lib/errors.js'
import type {StreamBody} from '../../../src/lib/oci/http-transport.js'
import {RegistryClient, type RegistryClientOptions} from '../../../src/lib/oci/registry-client.js'
import {answer, type ScriptedHandler, scriptedServerPool} from '../../helpers/scripted-http.js'

/**
 * The retry layer through RegistryClient against a real local server: which answers and
 * failures are retried, how many times, what the typed error says when it gives up, and
 * Retry-After. Anonymous requests throughout (no challenge).
 */
const {serve, closeAll} = scriptedServerPool()
const clients: RegistryClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close()
  await closeAll()
})

function clientFor(host: string, options: Partial<RegistryClientOptions> = {}): RegistryClient {
  const client = new RegistryClient({
    host,
    plainHttp: true,
    timeoutMs: 5000,
    minBytesPerSecond: 1_000_000,
    retries: 2,
    connections: 2,
    credentials: async () => undefined,
    ...options,
  })
  clients.push(client)
  return client
}

/** Answers the scripted statuses in turn, then 200 for good. */
function statuses(...sequence: Array<{status: number; headers?: Record<string, string>}>): ScriptedHandler {
  let next = 0
  return (_req, res) => {
    const step = sequence[next++]
    if (step) answer(res, step.status, step.headers ?? {}, {errors: [{code: 'UNAVAILABLE', message: 'busy'}]})
    else answer(res, 200, {}, 'ok')
  }
}

const get = {method: 'GET' as const, path: '/v2/ns/app/manifests/1.0.0', scopes: []}

describe('registry retry layer', () => {
  it('a 503 then a success: the request is repeated and succeeds', async () => {
    const server = await serve(statuses({status: 503}))
    const res = await clientFor(server.host).send(get, 'get manifest')
    expect(res.body.toString()).toBe('ok')
    expect(server.requests).toHaveLength(2)
  })

  it('a lasting 5xx: gives up after retries + 1 attempts with a RegistryError saying so', async () => {
    const server = await serve((_req, res) => answer(res, 502))
    const error = await clientFor(server.host, {retries: 2})
      .send(get, 'get manifest')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).message).toBe(`get manifest: ${server.host} answered HTTP 502 after 3 attempt(s)`)
    expect((error as RegistryError).hint).toBe('the registry is failing; retry later or check its logs')
    expect(server.requests).toHaveLength(3)
  })

  it('429 honours Retry-After (seconds) and says "too many requests" when it gives up', async () => {
    const server = await serve(statuses({status: 429, headers: {'retry-after': '1'}}, {status: 429, headers: {'retry-after': '0'}}))
    const started = Date.now()
    const error = await clientFor(server.host, {retries: 1})
      .send(get, 'get manifest')
      .catch((e: unknown) => e)
    // The backoff alone would be 150-250 ms; Retry-After asked for a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect((error as RegistryError).message).toBe(`get manifest: ${server.host} answered HTTP 429 (too many requests) after 2 attempt(s)`)
    expect((error as RegistryError).hint).toBe('the registry is rate-limiting; wait and retry, or lower oci.concurrency')
  })

  it('answers that are not failures of the moment (404, 400) are not retried', async () => {
    const server = await serve((req, res) => answer(res, req.url.includes('missing') ? 404 : 400, {}, {errors: [{code: 'MANIFEST_UNKNOWN', message: 'nope'}]}))
    const client = clientFor(server.host)
    const missing = await client.send({...get, path: '/v2/ns/app/manifests/missing'}, 'get manifest').catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(NotFoundError)
    expect((missing as NotFoundError).message).toBe(`get manifest: not found on ${server.host} (MANIFEST_UNKNOWN: nope)`)
    const bad = await client.send(get, 'get manifest').catch((e: unknown) => e)
    expect((bad as RegistryError).message).toBe(`get manifest: ${server.host} answered HTTP 400: MANIFEST_UNKNOWN: nope`)
    expect(server.requests).toHaveLength(2)
  })

  it('an accepted status is an answer, not a failure', async () => {
    const server = await serve((_req, res) => answer(res, 404))
    const res = await clientFor(server.host).send({...get, accept: [404]}, 'check manifest')
    expect(res.status).toBe(404)
    expect(server.requests).toHaveLength(1)
  })

  it('sendOnce never retries: the caller retries the whole operation', async () => {
    const server = await serve(statuses({status: 503}))
    const client = clientFor(server.host)
    await expect(client.sendOnce(get, 'get manifest')).rejects.toThrow('HTTP 503')
    expect(server.requests).toHaveLength(1)
    // The same failure inside withRetries is retried and then succeeds.
    const res = await client.withRetries('get manifest', () => client.sendOnce(get, 'get manifest'))
    expect(res.status).toBe(200)
  })

  it('a retried PUT re-opens its streamed body: each attempt sends it whole', async () => {
    const server = await serve(statuses({status: 500}))
    const chunks = [Buffer.from('first half, '), Buffer.from('second half')]
    let opened = 0
    const body: StreamBody = {
      length: chunks[0].length + chunks[1].length,
      async *open() {
        opened++
        yield* chunks
      },
    }
    await clientFor(server.host).send({method: 'PUT', path: '/v2/ns/app/blobs/uploads/1?digest=sha256:x', body, scopes: []}, 'upload blob')
    expect(opened).toBe(2)
    expect(server.requests.map((r) => [r.method, r.body.toString(), r.headers['content-length']])).toEqual([
      ['PUT', 'first half, second half', '23'],
      ['PUT', 'first half, second half', '23'],
    ])
  })

  it('a body cut short is retried, then reported as damaged in transit (IntegrityError)', async () => {
    let requests = 0
    const server = http.createServer((_req, res) => {
      requests++
      res.writeHead(200, {'content-length': '100'})
      res.write(Buffer.alloc(10, 0x61))
      setImmediate(() => res.destroy())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const error = await clientFor(host, {retries: 1})
        .send(get, 'get manifest')
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(IntegrityError)
      expect((error as IntegrityError).message).toBe(`get manifest: the response from ${host} was cut short (10 of 100 bytes) on 2 attempt(s)`)
      expect(requests).toBe(2)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('a refused connection is retried, then reported with the registry address and a hint', async () => {
    const server = await serve((_req, res) => answer(res, 200))
    const {host} = server
    await server.close()
    const error = await clientFor(host, {retries: 1})
      .send(get, 'get manifest')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).message).toBe(`get manifest: cannot reach http://${host} (ECONNREFUSED) after 2 attempt(s)`)
    expect((error as RegistryError).hint).toMatch(/is the registry running/)
  })
})
