import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type FaultProxyHandle, startFaultProxy} from '../fixtures/fault-proxy.js'
import {writeOciLayout} from '../helpers/oci-layout.js'
import {pushBlob} from '../helpers/registry-http.js'
import {blobPath, type RegistryOptions, startRegistry, useRegistry} from '../helpers/registry.js'
import {skopeoCopy, skopeoInspectRaw, skopeoSide} from '../helpers/skopeo.js'

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'prov-fixtures-'))
})
afterAll(async () => {
  await rm(scratch, {recursive: true, force: true})
})

const variants: Array<[string, RegistryOptions]> = [
  ['plain', {}],
  ['basic', {auth: 'basic'}],
  ['tls', {tls: true}],
  ['token (kid)', {auth: 'token'}],
  ['token (x5c)', {auth: 'token', tokenKeyHeader: 'x5c'}],
  ['tls+basic', {tls: true, auth: 'basic'}],
]

describe.each(variants)('registry fixture: %s', (name, options) => {
  const registry = useRegistry(options)

  it('accepts a push from skopeo and serves the same manifest back', async () => {
    const reg = registry()
    const layout = await writeOciLayout(path.join(scratch, name.replace(/\W+/g, '-')), {tag: '1.0.0'})
    const ref = `docker://${reg.host}/ns/demo:1.0.0`
    await skopeoCopy(`oci:${layout.dir}:1.0.0`, ref, {dest: skopeoSide(reg)})
    const raw = await skopeoInspectRaw(ref, skopeoSide(reg))
    expect(createHash('sha256').update(raw).digest('hex')).toBe(layout.manifestDigest.slice(7))
    expect(existsSync(blobPath(reg, layout.layer.digest))).toBe(true)
  })

  if (options.auth)
    it('rejects a wrong password', async () => {
      const reg = registry()
      const bad = {username: reg.auth!.username, password: 'wrong'}
      await expect(skopeoInspectRaw(`docker://${reg.host}/ns/demo:1.0.0`, skopeoSide(reg, bad))).rejects.toThrow(/unauthorized|401|authentication required/i)
    })

  if (options.auth === 'token')
    it('gives the reader pull but not push', async () => {
      const reg = registry()
      const reader = reg.auth!.reader!
      await skopeoInspectRaw(`docker://${reg.host}/ns/demo:1.0.0`, skopeoSide(reg, reader))
      const layout = await writeOciLayout(path.join(scratch, 'reader'), {tag: '2.0.0'})
      await expect(skopeoCopy(`oci:${layout.dir}:2.0.0`, `docker://${reg.host}/ns/demo:2.0.0`, {dest: skopeoSide(reg, reader)})).rejects.toThrow(
        /denied|unauthorized|insufficient/i,
      )
      expect(reg.tokenIssuer!.requests.some((r) => r.user === 'reader' && r.status === 200)).toBe(true)
    })
})

describe('registry fixture lifecycle', () => {
  it('stop() kills the process by PID and removes the temp folder', async () => {
    const reg = await startRegistry()
    await reg.stop()
    expect(() => process.kill(reg.pid, 0)).toThrow()
    expect(existsSync(reg.dir)).toBe(false)
    await reg.stop()
  })
})

describe('fault proxy', () => {
  const registry = useRegistry()
  let proxy: FaultProxyHandle
  beforeAll(async () => {
    proxy = await startFaultProxy({target: registry().url})
  })
  afterAll(async () => {
    await proxy?.stop()
  })

  it('forwards uploads and rewrites Location to the proxy', async () => {
    proxy.clear()
    const digest = await pushBlob(proxy.url, 'ns/blob', 'x'.repeat(1000))
    const res = await fetch(`${proxy.url}/v2/ns/blob/blobs/${digest}`)
    expect(res.status).toBe(200)
    expect((await res.text()).length).toBe(1000)
    expect(proxy.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 202', 'PUT 201', 'GET 200'])
    // The PUT went to the proxy, so the registry's absolute Location was rewritten.
    expect(proxy.requests[1].path).toMatch(/^\/v2\/ns\/blob\/blobs\/uploads\/[^/]+\?.*digest=sha256/)
  })

  it('answers a planned 500 once, then lets requests through', async () => {
    proxy.clear()
    proxy.plan([{match: {method: 'GET', pathRegex: '^/v2/$'}, fault: {status: 500}}])
    expect((await fetch(`${proxy.url}/v2/`)).status).toBe(500)
    expect((await fetch(`${proxy.url}/v2/`)).status).toBe(200)
    expect(proxy.requests).toEqual([
      {method: 'GET', path: '/v2/', status: 500, fault: 'status 500'},
      {method: 'GET', path: '/v2/', status: 200},
    ])
    expect(proxy.pending()).toBe(0)
  })

  it('sends Retry-After and repeats a fault `times` times', async () => {
    proxy.clear()
    proxy.plan([{fault: {status: 429, retryAfter: 2}, times: 2}])
    const first = await fetch(`${proxy.url}/v2/`)
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '2'])
    expect((await fetch(`${proxy.url}/v2/`)).status).toBe(429)
    expect((await fetch(`${proxy.url}/v2/`)).status).toBe(200)
  })

  it('resets the connection without a response', async () => {
    proxy.clear()
    proxy.plan([{fault: 'reset'}])
    await expect(fetch(`${proxy.url}/v2/`)).rejects.toThrow()
    expect(proxy.requests[0]).toMatchObject({status: null, fault: 'reset'})
    expect((await fetch(`${proxy.url}/v2/`)).status).toBe(200)
  })

  it('truncates a body after the real Content-Length', async () => {
    const digest = await pushBlob(proxy.url, 'ns/blob', 'y'.repeat(4000))
    proxy.plan([{match: {pathRegex: '/blobs/sha256:'}, fault: 'truncate'}])
    const res = await fetch(`${proxy.url}/v2/ns/blob/blobs/${digest}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe('4000')
    await expect(res.arrayBuffer()).rejects.toThrow()
  })

  it('goes down (connections refused) until up()', async () => {
    proxy.plan([{fault: 'down'}])
    await expect(fetch(`${proxy.url}/v2/`)).rejects.toThrow()
    expect(proxy.isDown).toBe(true)
    await expect(fetch(`${proxy.url}/v2/`)).rejects.toThrow()
    await proxy.up()
    expect((await fetch(`${proxy.url}/v2/`)).status).toBe(200)
  })
})
