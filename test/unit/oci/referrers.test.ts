import {describe, expect, it} from 'vitest'

import {IntegrityError} from '../../../src/lib/errors.js'
import {MAX_DOCUMENT_BYTES} from '../../../src/lib/oci/limits.js'
import {MemoryStore} from '../../../src/lib/oci/memory-store.js'
import {
  emptyReferrersIndex,
  MAX_REFERRERS,
  ofArtifactType,
  parseReferrersIndex,
  referrerOf,
  referrersTag,
  withReferrer,
} from '../../../src/lib/oci/referrers.js'
import {addImage} from '../../helpers/artifact-graph.js'
import {addReferrer, BUNDLE_TYPE, PREDICATE_ANNOTATION} from '../../helpers/referrer-graph.js'

/** A referrers index comes from a registry (SPEC §14: hostile): bounded and checked where it is parsed. */
const INDEX = 'application/vnd.oci.image.index.v1+json'
const DIGEST = `sha256:${'a'.repeat(64)}`
const entry = (extra: Record<string, unknown> = {}) => ({mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 3, ...extra})
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value))

/** Refused with exit 8; the message matches `says` when given. */
function refusal(run: () => unknown, says?: string): void {
  expect(run).toThrow(IntegrityError)
  if (says) expect(run).toThrow(says)
}

describe('referrersTag', () => {
  it('is sha256-<hex> of the subject digest', () => {
    expect(referrersTag(DIGEST)).toBe(`sha256-${'a'.repeat(64)}`)
  })

  it('refuses a subject that is not a sha256 digest', () => {
    refusal(() => referrersTag('sha512:abc'))
    refusal(() => referrersTag('../../etc'))
  })
})

describe('parseReferrersIndex', () => {
  it('passes a well-formed index through, artifactType and annotations included', () => {
    const listed = entry({artifactType: BUNDLE_TYPE, annotations: {[PREDICATE_ANNOTATION]: 'x'}})
    const index = parseReferrersIndex(bytes({schemaVersion: 2, mediaType: INDEX, manifests: [listed]}), 'reg/x')
    expect(index.manifests).toEqual([listed])
  })

  it('takes the media type from the response when the registry gave one', () => {
    expect(parseReferrersIndex(bytes({schemaVersion: 2, manifests: []}), 'reg/x', INDEX).manifests).toEqual([])
    refusal(() => parseReferrersIndex(bytes({schemaVersion: 2, mediaType: INDEX, manifests: []}), 'reg/x', 'text/html'))
  })

  it('refuses a document that is not an image index, naming where it came from', () => {
    const wrongType = () =>
      parseReferrersIndex(bytes({schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', manifests: []}), 'evil.example/ns/x')
    refusal(wrongType, 'evil.example/ns/x: the referrers index has the media type')
    refusal(() => parseReferrersIndex(bytes({schemaVersion: 2, manifests: []}), 'reg/x'))
    refusal(() => parseReferrersIndex(bytes([entry()]), 'reg/x'))
    refusal(() => parseReferrersIndex(Buffer.from('<html>'), 'reg/x'))
    refusal(() => parseReferrersIndex(bytes({mediaType: INDEX, manifests: {0: entry()}}), 'reg/x'))
  })

  it('refuses an index over the document size limit', () => {
    const padded = Buffer.concat([bytes({mediaType: INDEX, manifests: []}), Buffer.alloc(MAX_DOCUMENT_BYTES, 0x20)])
    refusal(() => parseReferrersIndex(padded, 'reg/x'), `more than ${MAX_DOCUMENT_BYTES}`)
  })

  it('refuses more than MAX_REFERRERS entries, and 100k entries', () => {
    const tooMany = bytes({mediaType: INDEX, manifests: Array.from({length: MAX_REFERRERS + 1}, () => entry())})
    expect(tooMany.byteLength).toBeLessThan(MAX_DOCUMENT_BYTES)
    refusal(() => parseReferrersIndex(tooMany, 'reg/x'), `more than ${MAX_REFERRERS}`)
    const compact = {mediaType: 'm', digest: DIGEST, size: 1}
    refusal(() => parseReferrersIndex(bytes({mediaType: INDEX, manifests: Array.from({length: 100_000}, () => compact)}), 'reg/x'))
    expect(MAX_REFERRERS).toBe(10_000)
    expect(parseReferrersIndex(bytes({mediaType: INDEX, manifests: Array.from({length: MAX_REFERRERS}, () => entry())}), 'reg/x').manifests).toHaveLength(
      MAX_REFERRERS,
    )
  })

  it('refuses malformed descriptors: bad digest, negative or fractional size, odd artifactType or annotations', () => {
    for (const bad of [
      entry({digest: 'sha256:xyz'}),
      entry({digest: [DIGEST]}),
      entry({size: -1}),
      entry({size: 1.5}),
      entry({size: '3'}),
      entry({mediaType: 7}),
      entry({artifactType: 7}),
      entry({annotations: {a: 1}}),
      'sha256:abc',
      null,
    ]) {
      refusal(() => parseReferrersIndex(bytes({mediaType: INDEX, manifests: [entry(), bad]}), 'reg/x'))
    }
  })
})

describe('referrerOf', () => {
  it('names the subject and the descriptor a referrers list gives the manifest', () => {
    const built = new MemoryStore()
    const {manifest: subject} = addImage(built)
    const {manifest} = addReferrer(built, subject)
    expect(referrerOf(manifest)).toEqual({
      subject: subject.descriptor.digest,
      descriptor: {...manifest.descriptor, artifactType: BUNDLE_TYPE, annotations: {[PREDICATE_ANNOTATION]: 'https://slsa.dev/provenance/v1'}},
    })
  })

  it('takes the config media type as artifactType when the manifest has none, and drops annotations that are not strings', () => {
    const doc = {schemaVersion: 2, config: {mediaType: 'application/x-config', digest: DIGEST, size: 2}, layers: [], subject: entry(), annotations: {n: 1}}
    const content = Buffer.from(JSON.stringify(doc))
    const referrer = referrerOf({descriptor: entry(), bytes: content})
    expect(referrer?.descriptor.artifactType).toBe('application/x-config')
    expect(referrer?.descriptor.annotations).toBeUndefined()
  })

  it('is undefined for a manifest without a (well-formed) subject', () => {
    const {manifest} = addImage(new MemoryStore())
    expect(referrerOf(manifest)).toBeUndefined()
    expect(referrerOf({descriptor: entry(), bytes: bytes({subject: {digest: 'sha256:short'}})})).toBeUndefined()
    expect(referrerOf({descriptor: entry(), bytes: Buffer.from('not json')})).toBeUndefined()
  })
})

describe('withReferrer / ofArtifactType', () => {
  it('adds once, replaces an entry of the same digest, and filters by artifactType', () => {
    const first = entry({artifactType: BUNDLE_TYPE})
    const other = entry({digest: `sha256:${'b'.repeat(64)}`, artifactType: 'application/spdx+json'})
    const once = withReferrer(emptyReferrersIndex(), first)
    expect(once.changed).toBe(true)
    expect(withReferrer(once.index, first).changed).toBe(false)
    const both = withReferrer(once.index, other).index
    expect(both.manifests).toEqual([first, other])
    const renamed = withReferrer(both, {...first, annotations: {a: 'b'}})
    expect(renamed.changed).toBe(true)
    expect(renamed.index.manifests).toHaveLength(2)
    expect(ofArtifactType(both.manifests, BUNDLE_TYPE)).toEqual([first])
    expect(ofArtifactType(both.manifests)).toEqual(both.manifests)
    expect(ofArtifactType(both.manifests, 'application/none')).toEqual([])
  })
})
