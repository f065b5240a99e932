import {describe, expect, it} from 'vitest'

import {ConfigError} from '../../../src/lib/errors.js'
import {describeProxy, noProxyMatches, parseProxy, proxyFor} from '../../../src/lib/oci/transport/proxy.js'

describe('NO_PROXY matching (curl rules)', () => {
  const cases: Array<[list: string, host: string, port: number, exempt: boolean]> = [
    // A name exempts itself and its subdomains, with or without a leading dot.
    ['example.com', 'example.com', 443, true],
    ['example.com', 'registry.example.com', 443, true],
    ['.example.com', 'registry.example.com', 443, true],
    ['.example.com', 'example.com', 443, true],
    ['*.example.com', 'a.b.example.com', 443, true],
    // Never a mere string suffix.
    ['example.com', 'notexample.com', 443, false],
    ['.example.com', 'example.com.evil.net', 443, false],
    // Case and a trailing dot do not matter.
    ['Example.COM', 'REGISTRY.example.com.', 443, true],
    // Commas and spaces separate; empty entries are skipped.
    [' , other.net  example.com,,', 'example.com', 80, true],
    ['other.net', 'example.com', 80, false],
    // `*` exempts every host.
    ['*', 'anything.example', 5000, true],
    ['other.net,*', 'anything.example', 5000, true],
    // host:port exempts that port only.
    ['example.com:5000', 'example.com', 5000, true],
    ['example.com:5000', 'example.com', 443, false],
    // IP addresses match exactly or by CIDR, never as name suffixes.
    ['127.0.0.1', '127.0.0.1', 5000, true],
    ['0.0.1', '127.0.0.1', 5000, false],
    ['10.0.0.0/8', '10.20.30.40', 443, true],
    ['10.0.0.0/8', '11.0.0.1', 443, false],
    ['10.0.0.0/99', '10.0.0.1', 443, false],
    ['[::1]', '[::1]', 443, true],
    ['::1', '[::1]', 443, true],
    ['[::1]:5000', '[::1]', 5000, true],
    ['[::1]:5000', '[::1]', 443, false],
    ['fd00::/8', '[fd12::1]', 443, true],
    // No implicit loopback bypass: localhost and 127.0.0.1 are proxied unless listed.
    ['', 'localhost', 5000, false],
    ['example.com', '127.0.0.1', 5000, false],
    ['localhost', '127.0.0.1', 5000, false],
  ]
  it.each(cases)('NO_PROXY=%j, host %s:%i -> exempt %s', (list, host, port, exempt) => {
    expect(noProxyMatches(list, host, port)).toBe(exempt)
  })
})

describe('proxy variables', () => {
  const url = (text: string) => new URL(text)

  it('https targets use HTTPS_PROXY, http targets HTTP_PROXY; the lower-case form wins, empty means unset', () => {
    const env = {HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', HTTP_PROXY: 'plain:8080', http_proxy: '  '}
    expect(proxyFor(url('https://reg.example/v2/'), env)).toMatchObject({variable: 'https_proxy', display: 'http://lower:3128'})
    // No scheme means http://, as curl.
    expect(proxyFor(url('http://reg.example/v2/'), env)).toMatchObject({variable: 'HTTP_PROXY', display: 'http://plain:8080'})
    expect(proxyFor(url('https://reg.example/v2/'), {})).toBeUndefined()
  })

  it('NO_PROXY (lower-case first) exempts a target, the effective port counting', () => {
    const env = {HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'reg.example:443', no_proxy: 'other.example'}
    expect(proxyFor(url('https://reg.example/v2/'), env)).toBeDefined()
    expect(proxyFor(url('https://reg.example/v2/'), {...env, no_proxy: ''})).toBeUndefined()
    expect(proxyFor(url('https://reg.example:5000/v2/'), {...env, no_proxy: ''})).toBeDefined()
  })

  it('credentials are kept for Proxy-Authorization and never shown', () => {
    const proxy = parseProxy('HTTPS_PROXY', 'http://us%40er:p%3Ass@proxy.example:3128')
    expect(proxy.credentials).toBe(true)
    expect(proxy.display).toBe('http://proxy.example:3128')
    expect(proxy.url.password).toBe('p%3Ass')
    expect(describeProxy(url('https://reg.example/'), {HTTPS_PROXY: 'http://user:secret@proxy.example:3128'})).toBe(
      'http://proxy.example:3128 (from HTTPS_PROXY, with credentials, not shown)',
    )
    expect(describeProxy(url('https://reg.example/'), {HTTPS_PROXY: 'http://proxy.example:3128', no_proxy: 'ample'})).toBe(
      'http://proxy.example:3128 (from HTTPS_PROXY)',
    )
    expect(describeProxy(url('https://reg.example/'), {HTTPS_PROXY: 'http://proxy.example:3128', no_proxy: 'reg.example'})).toBe(
      'none: no_proxy exempts reg.example from http://proxy.example:3128 (HTTPS_PROXY)',
    )
    expect(describeProxy(url('https://reg.example/'), {HTTPS_PROXY: 'socks5://user:secret@proxy:1080'})).toBe(
      'unusable: HTTPS_PROXY is not a usable proxy URL (the value is not shown: it may hold a password)',
    )
  })

  it.each(['socks5://user:secret@proxy:1080', 'http://', 'ftp://proxy:21', 'http://user:secret@[bad'])(
    '%j is refused (exit 3) without echoing the value',
    (value) => {
      let error: unknown
      try {
        parseProxy('HTTPS_PROXY', value)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).message).toContain('HTTPS_PROXY')
      expect((error as ConfigError).message).not.toContain('secret')
      expect(JSON.stringify((error as ConfigError).details)).not.toContain('secret')
    },
  )
})
