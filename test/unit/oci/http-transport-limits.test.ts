import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BodyTooLarge, DeadlineExceeded, HttpTransport} from '../../../src/lib/oci/http-transport.js'

/**
 * The transport's bounds (limits.ts) against a real local server: a body cap refuses a
 * larger Content-Length before reading and stops at cap + 1 bytes without one (buffered
 * and sink alike); the total deadline lets a slow transfer that keeps the minimum rate
 * finish and cuts off one that does not, however steadily it trickles.
 */
describe('HttpTransport bounds', () => {
  let server: http.Server
  let base: string
  const sent = new Map<string, number>()

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      const bytes = Number(url.searchParams.get('bytes'))
      const chunk = Number(url.searchParams.get('chunk') ?? bytes)
      const everyMs = Number(url.searchParams.get('every') ?? 0)
      res.writeHead(200, url.searchParams.has('length') ? {'content-length': String(bytes)} : {})
      let at = 0
      const step = () => {
        if (res.destroyed || at >= bytes) return void res.end()
        const n = Math.min(chunk, bytes - at)
        at += n
        sent.set(url.pathname, at)
        res.write(Buffer.alloc(n, 0x61))
        setTimeout(step, everyMs)
      }
      step()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const transport = (timeoutMs: number, minBytesPerSecond: number) => new HttpTransport({connections: 2, timeoutMs, minBytesPerSecond})

  it('refuses a Content-Length over the cap before reading the body', async () => {
    const t = transport(5000, 1024 * 1024)
    const error = await t
      .request(`${base}/declared?bytes=10000000&length&chunk=65536&every=50`, {method: 'GET', headers: {}, maxBytes: 1000})
      .catch((e: unknown) => e)
    t.close()
    expect(error).toBeInstanceOf(BodyTooLarge)
    expect((error as BodyTooLarge).declared).toBe(10_000_000)
  })

  for (const sink of [false, true]) {
    it(`stops a chunked body at cap + 1 (${sink ? 'sink' : 'buffered'}), the sink never sees more than the cap`, async () => {
      const t = transport(5000, 1024 * 1024)
      let given = 0
      const error = await t
        .request(`${base}/chunked-${sink}?bytes=10000000&chunk=1000&every=1`, {
          method: 'GET',
          headers: {},
          maxBytes: 5000,
          sink: sink ? {write: (c: Buffer) => void (given += c.length)} : undefined,
        })
        .catch((e: unknown) => e)
      t.close()
      expect(error).toBeInstanceOf(BodyTooLarge)
      expect(given).toBeLessThanOrEqual(5000)
      expect(sent.get(`/chunked-${sink}`)).toBeLessThan(1_000_000)
    })
  }

  it('a slow body that keeps the minimum rate completes; one that trickles below it is cut off at the deadline', async () => {
    // 1 s base + 20 KB at 10 KB/s = 3 s. Sent at ~40 KB/s: done in ~0.5 s.
    const t = transport(1000, 10_000)
    const ok = await t.request(`${base}/steady?bytes=20000&length&chunk=2000&every=50`, {method: 'GET', headers: {}, maxBytes: 20_000})
    expect(ok.body.length).toBe(20_000)
    // Sent at ~2 KB/s, never silent for the idle timeout: cut off at ~3 s instead of taking 10.
    const started = Date.now()
    const error = await t
      .request(`${base}/trickle?bytes=20000&length&chunk=200&every=100`, {method: 'GET', headers: {}, maxBytes: 20_000})
      .catch((e: unknown) => e)
    const elapsed = Date.now() - started
    t.close()
    expect(error).toBeInstanceOf(DeadlineExceeded)
    expect((error as DeadlineExceeded).ms).toBe(3000)
    expect(elapsed).toBeGreaterThanOrEqual(2900)
    expect(elapsed).toBeLessThan(8000)
  })

  it('without Content-Length the rate is enforced as the body arrives, not against the whole cap', async () => {
    // 1 s base, 100 KB/s: a chunked body may lag at most (received + 64 KiB) at that rate.
    const t = transport(1000, 100_000)
    // ~400 KB/s, well above the rate: completes.
    const ok = await t.request(`${base}/chunked-steady?bytes=200000&chunk=2000&every=5`, {method: 'GET', headers: {}, maxBytes: 4 * 1024 * 1024})
    expect(ok.body.length).toBe(200_000)
    // ~1 KB/s: the cap (4 MiB) alone would allow 1 + 42 s; the progressive bound ends it at ~1.7 s.
    const started = Date.now()
    const error = await t
      .request(`${base}/chunked-trickle?bytes=200000&chunk=100&every=100`, {method: 'GET', headers: {}, maxBytes: 4 * 1024 * 1024})
      .catch((e: unknown) => e)
    const elapsed = Date.now() - started
    t.close()
    expect(error).toBeInstanceOf(DeadlineExceeded)
    expect(elapsed).toBeGreaterThanOrEqual(1500)
    expect(elapsed).toBeLessThan(6000)
  })
})
