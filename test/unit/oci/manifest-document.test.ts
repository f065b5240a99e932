import {describe, expect, it} from 'vitest'

import {IntegrityError} from '../../../src/lib/errors.js'
import {isDigest} from '../../../src/lib/oci/digest.js'
import {checkDescriptor, parseManifestDocument} from '../../../src/lib/oci/manifest-document.js'

/**
 * Manifests come from registries (SPEC §14: hostile): every descriptor is checked where the
 * document is parsed, so a malformed one is exit 8 naming the field, never a TypeError.
 */
const DIGEST = `sha256:${'a'.repeat(64)}`
const descriptor = (extra: Record<string, unknown> = {}) => ({mediaType: 'application/octet-stream', digest: DIGEST, size: 3, ...extra})
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value))

function refusal(run: () => unknown): IntegrityError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(IntegrityError)
    return error as IntegrityError
  }
  throw new Error('not refused')
}

describe('isDigest', () => {
  it('accepts only strings: an array holding a digest (which RegExp.test would coerce) is not one', () => {
    expect(isDigest(DIGEST)).toBe(true)
    expect(isDigest([DIGEST])).toBe(false)
    expect(isDigest({toString: () => DIGEST})).toBe(false)
    expect(isDigest(undefined)).toBe(false)
    expect(isDigest('1.0.0')).toBe(false)
  })
})

describe('checkDescriptor / parseManifestDocument', () => {
  it('passes well-formed manifests and indexes through', () => {
    const manifest = parseManifestDocument(bytes({schemaVersion: 2, config: descriptor(), layers: [descriptor()]}), 'x')
    expect(manifest.kind).toBe('manifest')
    const index = parseManifestDocument(bytes({schemaVersion: 2, manifests: [descriptor()]}), 'x')
    expect(index.kind === 'index' && index.index.manifests).toHaveLength(1)
    // No layers at all reads as an empty list.
    const bare = parseManifestDocument(bytes({schemaVersion: 2, config: descriptor()}), 'x')
    expect(bare.kind === 'manifest' && bare.manifest.layers).toEqual([])
  })

  const cases: Array<[string, unknown, RegExp]> = [
    ['an array digest in an index', {manifests: [descriptor({digest: [DIGEST]})]}, /manifests\[0\]\.digest is not a sha256 digest/],
    ['a tag as an index child', {manifests: [descriptor({digest: '1.0.0'})]}, /manifests\[0\]\.digest/],
    ['a string size', {config: descriptor({size: '3'}), layers: []}, /config\.size is not a non-negative integer/],
    ['a negative layer size', {config: descriptor(), layers: [descriptor(), descriptor({size: -1})]}, /layers\[1\]\.size/],
    ['a fractional size', {config: descriptor({size: 1.5})}, /config\.size/],
    ['a size beyond 2^53', {config: descriptor({size: 2 ** 60})}, /config\.size/],
    ['a numeric mediaType', {config: descriptor(), layers: [descriptor({mediaType: 7})]}, /layers\[0\]\.mediaType is not a string/],
    ['no config', {layers: [descriptor()]}, /config is not a descriptor/],
    ['layers not a list', {config: descriptor(), layers: {0: descriptor()}}, /layers is not a list/],
    ['manifests not a list', {manifests: 'x'}, /manifests is not a list/],
    ['a JSON array', [descriptor()], /is not a JSON object/],
  ]
  for (const [what, document, message] of cases) {
    it(`refuses ${what} (exit 8, naming the field)`, () => {
      const error = refusal(() => parseManifestDocument(bytes(document), 'ns/name@sha256:x'))
      expect(error.exit).toBe(8)
      expect(error.message).toMatch(message)
      expect(error.message).toContain('ns/name@sha256:x')
    })
  }

  it('an index by media type must list manifests even without the key', () => {
    expect(refusal(() => parseManifestDocument(bytes({config: descriptor()}), 'x', true)).message).toMatch(/manifests is not a list/)
  })

  it('checkDescriptor names the field it was given', () => {
    expect(refusal(() => checkDescriptor(null, 'subject', 'x')).message).toMatch(/subject is not a descriptor/)
  })
})
