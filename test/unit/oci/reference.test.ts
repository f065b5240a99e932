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
})

describe('tags', () => {
  it('accepts a leading v and ignores non-semver tags for versions', () => {
    expect(tagVersion('v1.2.3')).toBe('1.2.3')
    expect(tagVersion('latest')).toBeUndefined()
    expect(sortTags(['1.9.0', 'latest', 'v1.10.0', '1.10.0-rc.1', 'dev']).map((t) => t.tag)).toEqual(['v1.10.0', '1.10.0-rc.1', '1.9.0', 'dev', 'latest'])
  })
})
