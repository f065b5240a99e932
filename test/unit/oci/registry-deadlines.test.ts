import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {RegistryError} from '../../../src/lib/errors.js'
import {RegistryClient} from '../../../src/lib/oci/registry-client.js'

/**
 * Deadlines through RegistryClient against a real local server that stalls: the typed
 * error arrives within generous bounds, and a missed total deadline is not retried.
 */
const servers: http.Server[] = []
const clients: RegistryClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function stallingServer(handler: http.RequestListener): Promise<{host: string; requests: () => number}> {
  let requests = 0
  const server = http.createServer((req, res) => {
    requests++
    handler(req, res)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests}
}

function clientFor(host: string, timeoutMs: number, retries: number): RegistryClient {
  const client = new RegistryClient({
    host,
    plainHttp: true,
    timeoutMs,
    minBytesPerSecond: 1_000_000,
    retries,
    connections: 2,
    credentials: async () => undefined,
  })
  clients.push(client)
  return client
}

const get = {method: 'GET' as const, path: '/v2/ns/app/manifests/1.0.0', scopes: []}

describe('registry deadlines', () => {
  it('a body that drips slower than the minimum rate: RegistryError at the deadline, never retried', async () => {
    const server = await stallingServer((_req, res) => {
      // 100 KB announced (0.1 s at the minimum rate): the deadline is at most 0.5 s + 0.1 s.
      res.writeHead(200, {'content-length': '100000'})
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(Buffer.alloc(10))), 50)
      res.on('close', () => clearInterval(drip))
    })
    const started = Date.now()
    const error = await clientFor(server.host, 500, 2)
      .send(get, 'get manifest')
      .catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).message).toMatch(
      new RegExp(`^get manifest: ${server.host} did not answer completely within the deadline of 1 s \\(\\d+ body bytes arrived\\)$`),
    )
    // The body must keep the minimum rate as it goes: cut off before the upfront 0.6 s.
    expect((error as RegistryError).details).toMatchObject({registry: server.host})
    expect((error as RegistryError).details.deadlineMs).toBeLessThanOrEqual(600)
    expect(elapsed).toBeLessThan(5000)
    expect(server.requests()).toBe(1)
  })

  it('a server that accepts and never answers: a RegistryError within bounds', async () => {
    const server = await stallingServer(() => undefined)
    const started = Date.now()
    const error = await clientFor(server.host, 300, 1)
      .send(get, 'get manifest')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).code).toBe('E_REGISTRY')
    expect((error as RegistryError).message).toMatch(/^get manifest: /)
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
