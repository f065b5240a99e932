import {describe, expect, it} from 'vitest'

import {isLoopbackHost, usesPlainHttp} from '../../../src/lib/oci/transport-policy.js'

/** oci.tls_enabled=false: plain HTTP for the configured registry and loopback hosts only. */
describe('transport policy', () => {
  it('knows loopback hosts, with or without a port', () => {
    for (const host of ['localhost', 'LOCALHOST:5000', '127.0.0.1', '127.1.2.3:443', '[::1]', '[::1]:5000']) expect(isLoopbackHost(host), host).toBe(true)
    for (const host of [
      'registry.company.com',
      '10.0.0.1:5000',
      '128.0.0.1',
      '127.0.0.256',
      'localhost.evil.com',
      '127.0.0.1.nip.io',
      '[::2]:5000',
      '[fe80::1]',
    ])
      expect(isLoopbackHost(host), host).toBe(false)
  })

  it('plain HTTP only for the configured registry and loopback when TLS is off; HTTPS everywhere when on', () => {
    const off = {tlsEnabled: false, registry: 'harbor.lan:5000'}
    expect(usesPlainHttp('harbor.lan:5000', off)).toBe(true)
    expect(usesPlainHttp('HARBOR.LAN:5000', off)).toBe(true)
    expect(usesPlainHttp('127.0.0.1:5000', off)).toBe(true)
    expect(usesPlainHttp('harbor.lan:5001', off)).toBe(false)
    expect(usesPlainHttp('registry.company.com', off)).toBe(false)
    expect(usesPlainHttp('localhost:5000', {tlsEnabled: true, registry: 'localhost:5000'})).toBe(false)
  })
})
