import {describe, expect, it} from 'vitest'

import {formatReference, parseReference} from '../../../src/lib/oci/reference.js'
import {sortTags, tagVersion} from '../../../src/lib/oci/versions.js'

const defaults = {registry: 'localhost:5000', namespace: 'provisioning-extensions'}
const digest = `sha256:${'b'.repeat(64)}`

describe('parseReference', () => {
  it.each([
    ['redis', 'localhost:5000/provisioning-extensions/redis'],
    ['redis:7.2.0', 'localhost:5000/provisioning-extensions/redis:7.2.0'],
    ['team/redis:1.0.0', 'localhost:5000/team/redis:1.0.0'],
    ['oci://harbor.example.com/prod/redis:7.2.0', 'harbor.example.com/prod/redis:7.2.0'],
    ['oci://localhost:5000/provisioning-extensions/aws:2.0.0', 'localhost:5000/provisioning-extensions/aws:2.0.0'],
    [`ghcr.io/org/ext/redis@${digest}`, `ghcr.io/org/ext/redis@${digest}`],
    [`127.0.0.1:5999/ns/redis:1.0.0@${digest}`, `127.0.0.1:5999/ns/redis:1.0.0@${digest}`],
    ['oci-layout:///srv/store/ns/redis:1.0.0', 'oci-layout:///srv/store/ns/redis:1.0.0'],
  ])('%s → %s', (input, expected) => {
    expect(formatReference(parseReference(input, defaults))).toBe(expected)
  })

  it('expands short names into a layout registry', () => {
    const ref = parseReference('redis:1.0.0', {registry: 'oci-layout:///home/u/.provisioning/oci-store', namespace: 'ext'})
    expect(ref.location).toEqual({kind: 'layout', root: '/home/u/.provisioning/oci-store'})
    expect(ref.repository).toBe('ext/redis')
  })

  it.each(['Redis:1.0', 'redis:bad tag', 'redis@sha256:xyz', 'oci://host:5000', 'oci-layout://'])('rejects %s as a usage error', (input) => {
    expect(() => parseReference(input, defaults)).toThrow(expect.objectContaining({exit: 2}))
  })

  it.each([
    '../redis:7.2.0',
    './redis',
    '.../redis',
    'oci://../redis:1.0.0',
    'a..b/redis',
    '-bad.example/ns/redis',
    'host.-x/ns/redis',
    'localhost:0/ns/redis',
    'localhost:70000/ns/redis',
    `${'a'.repeat(64)}.example/ns/redis`,
  ])('refuses %s: its first part is not a registry host (no lookup of it)', (input) => {
    expect(() => parseReference(input, defaults)).toThrow(expect.objectContaining({exit: 2, message: expect.stringContaining('is not a registry host')}))
  })

  it.each(['host:5000/../redis:1.0.0', 'host:5000/ns/./redis', 'host.example/ns/..'])('refuses the path segments of %s', (input) => {
    expect(() => parseReference(input, defaults)).toThrow(expect.objectContaining({exit: 2, message: expect.stringContaining('must be lower-case components')}))
  })

  it.each(['user:s3cret@reg.example/ns/redis:1.0.0', 'oci://user:s3cret@reg.example:5000/ns/redis', 'user:s3cret@localhost/redis@sha256:abc'])(
    'refuses credentials in the reference %s without echoing them',
    (input) => {
      let message = ''
      try {
        parseReference(input, defaults)
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toContain('credentials do not belong in a reference')
      expect(message).not.toContain('s3cret')
    },
  )

  it('still takes a digest after "@"', () => {
    expect(parseReference(`reg.example/ns/redis@sha256:${'a'.repeat(64)}`, defaults).digest).toBe(`sha256:${'a'.repeat(64)}`)
  })

  it('accepts IPv4, bracketed IPv6 and ports up to 65535', () => {
    expect(formatReference(parseReference('[::1]:5000/ns/redis:1.0.0', defaults))).toBe('[::1]:5000/ns/redis:1.0.0')
    expect(formatReference(parseReference('oci://reg.example.com:65535/ns/redis', defaults))).toBe('reg.example.com:65535/ns/redis')
  })

  it.each(['..', 'a b', 'host/path', 'https://user:secret@reg.example'])('refuses the registry setting %s, never echoing credentials', (registry) => {
    let message = ''
    try {
      parseReference('redis:1.0.0', {registry, namespace: 'ns'})
    } catch (error) {
      message = (error as Error & {exit: number}).message
      expect((error as {exit: number}).exit).toBe(2)
    }
    expect(message).toMatch(/^invalid registry/)
    expect(message).not.toContain('secret')
  })
})

describe('tags', () => {
  it('accepts a leading v and ignores non-semver tags for versions', () => {
    expect(tagVersion('v1.2.3')).toBe('1.2.3')
    expect(tagVersion('latest')).toBeUndefined()
    expect(sortTags(['1.9.0', 'latest', 'v1.10.0', '1.10.0-rc.1', 'dev']).map((t) => t.tag)).toEqual(['v1.10.0', '1.10.0-rc.1', '1.9.0', 'dev', 'latest'])
  })
})
