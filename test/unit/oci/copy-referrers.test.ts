import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {IntegrityError} from '../../../src/lib/errors.js'
import {copyArtifact, type CopyEvent} from '../../../src/lib/oci/copy.js'
import {LayoutStore} from '../../../src/lib/oci/layout-store.js'
import {MemoryStore} from '../../../src/lib/oci/memory-store.js'
import {MAX_REFERRER_CLOSURE, MAX_REFERRER_DEPTH, referrersTag} from '../../../src/lib/oci/referrers.js'
import type {ContentStore, ManifestContent} from '../../../src/lib/oci/store.js'
import {addImage, document, IMAGE_INDEX} from '../../helpers/artifact-graph.js'
import {tempDir} from '../../helpers/cli.js'
import {addReferrer, pushBuilt} from '../../helpers/referrer-graph.js'
import {useRegistry} from '../../helpers/registry.js'
import {useRegistryStores} from '../../helpers/registry-stores.js'

/** copyArtifact carrying OCI 1.1 referrers (signatures…) between real stores. */
const digests = (list: Array<{digest: string}> | undefined) => (list ?? []).map((d) => d.digest).sort()

function copy(from: ContentStore, to: ContentStore, reference: string, options: {referrers?: boolean; events?: CopyEvent[]; repository?: string} = {}) {
  return copyArtifact(
    {store: from, repository: 'ext/a', reference},
    {store: to, repository: options.repository ?? 'ext/a'},
    {concurrency: 2, referrers: options.referrers ?? true, onEvent: (event) => options.events?.push(event)},
  )
}

/** A subject tagged 1.0.0 with a chain of `depth` referrers (each refers to the one before) and a second signature. */
function signedChain(store: MemoryStore, depth: number): {subject: ManifestContent; chain: ManifestContent[]; sibling: ManifestContent} {
  const {manifest: subject} = addImage(store)
  store.addManifest(subject, '1.0.0')
  const chain: ManifestContent[] = []
  for (let i = 0; i < depth; i++) chain.push(addReferrer(store, chain.at(-1) ?? subject).manifest)
  return {subject, chain, sibling: addReferrer(store, subject).manifest}
}

describe('copyArtifact with referrers: memory and layout', () => {
  let root = ''
  let cleanup: () => Promise<void> = async () => undefined
  let layout: LayoutStore
  beforeEach(async () => {
    ;({dir: root, cleanup} = await tempDir())
    layout = new LayoutStore(path.join(root, 'layout'))
  })
  afterEach(() => cleanup())

  it('carries every referrer, and a referrer of a referrer, after the subject; events mark them', async () => {
    const source = new MemoryStore()
    const {subject, chain, sibling} = signedChain(source, 2)
    const events: CopyEvent[] = []
    const result = await copy(source, layout, '1.0.0', {events})
    expect(result.referrers).toBe(3)
    expect(digests(await layout.listReferrers('ext/a', subject.descriptor.digest))).toEqual(digests([chain[0].descriptor, sibling.descriptor]))
    expect(digests(await layout.listReferrers('ext/a', chain[0].descriptor.digest))).toEqual([chain[1].descriptor.digest])
    const manifests = events.filter((e) => e.kind === 'manifest').map((e) => [e.descriptor.digest, e.referrer])
    expect(manifests[0]).toEqual([subject.descriptor.digest, undefined])
    expect(manifests.slice(1).every(([, referrer]) => referrer === true)).toBe(true)
    expect(manifests).toHaveLength(4)
    expect(await layout.listTags('ext/a')).toEqual(['1.0.0'])

    // Again: everything is there, nothing is sent, the referrers are still counted and listed once.
    const again: CopyEvent[] = []
    const second = await copy(source, layout, '1.0.0', {events: again})
    expect(second).toMatchObject({referrers: 3, transferred: 0})
    expect(again.filter((e) => e.kind === 'manifest').every((e) => e.action === 'unchanged')).toBe(true)
    expect(await layout.listReferrers('ext/a', subject.descriptor.digest)).toHaveLength(2)
  })

  it('referrers: false, or a source that cannot list referrers, copies the artifact alone', async () => {
    const source = new MemoryStore()
    const {subject} = signedChain(source, 1)
    expect((await copy(source, layout, '1.0.0', {referrers: false})).referrers).toBe(0)
    expect(await layout.listReferrers('ext/a', subject.descriptor.digest)).toEqual([])
    // The same real store with the ability hidden: callers check for the method, never a class.
    const unable = new Proxy(source, {
      get: (target, key) => (key === 'listReferrers' ? undefined : (Reflect.get(target, key, target) as unknown)),
    }) as ContentStore
    expect(unable.listReferrers).toBeUndefined()
    expect((await copy(unable, layout, '1.0.0', {repository: 'ext/b'})).referrers).toBe(0)
    expect(await layout.listReferrers('ext/b', subject.descriptor.digest)).toEqual([])
  })

  it(`follows at most ${MAX_REFERRER_DEPTH} levels of referrers (exit 8 beyond), the subject copied`, async () => {
    const deep = new MemoryStore()
    signedChain(deep, MAX_REFERRER_DEPTH)
    expect((await copy(deep, layout, '1.0.0')).referrers).toBe(MAX_REFERRER_DEPTH + 1)
    const tooDeep = new MemoryStore()
    const {subject} = signedChain(tooDeep, MAX_REFERRER_DEPTH + 1)
    const error = await copy(tooDeep, layout, '1.0.0', {repository: 'ext/deep'}).catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(IntegrityError)
    expect((error as Error).message).toContain(`more than ${MAX_REFERRER_DEPTH} levels deep`)
    expect((await layout.resolve('ext/deep', '1.0.0')).digest).toBe(subject.descriptor.digest)
  })

  it(`carries at most ${MAX_REFERRER_CLOSURE} referrers in all (exit 8 beyond), the subject copied`, async () => {
    const crowded = new MemoryStore()
    const {manifest: subject} = addImage(crowded)
    crowded.addManifest(subject, '1.0.0')
    for (let i = 0; i <= MAX_REFERRER_CLOSURE; i++) addReferrer(crowded, subject)
    const target = new MemoryStore()
    const error = await copy(crowded, target, '1.0.0').catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(IntegrityError)
    expect((error as Error).message).toContain(`more than ${MAX_REFERRER_CLOSURE} referrers in all`)
    expect((await target.resolve('ext/a', '1.0.0')).digest).toBe(subject.descriptor.digest)
  })
})

describe('copyArtifact with referrers: registries (referrers tag schema)', () => {
  const registry = useRegistry()
  const openStore = useRegistryStores()
  const open = () => openStore(registry().host)

  it('registry to registry: the referrers arrive in the destination tag index; one it lost is indexed again', async () => {
    const built = new MemoryStore()
    const {subject, chain, sibling} = signedChain(built, 1)
    const source = open()
    await copy(built, source, '1.0.0')
    const destination = open()
    const result = await copyArtifact(
      {store: source, repository: 'ext/a', reference: '1.0.0'},
      {store: destination, repository: 'mirror/a'},
      {concurrency: 2, referrers: true},
    )
    expect(result.referrers).toBe(2)
    expect(result.mounted).toBeGreaterThan(0)
    const expected = digests([chain[0].descriptor, sibling.descriptor])
    expect(digests(await destination.listReferrers('mirror/a', subject.descriptor.digest))).toEqual(expected)

    // The destination's referrers index lost them (two signers racing): the next copy re-indexes them.
    const empty = document({schemaVersion: 2, mediaType: IMAGE_INDEX, manifests: []}, IMAGE_INDEX)
    await destination.pushManifest('mirror/a', empty, referrersTag(subject.descriptor.digest))
    expect(await destination.listReferrers('mirror/a', subject.descriptor.digest)).toEqual([])
    await copyArtifact(
      {store: source, repository: 'ext/a', reference: '1.0.0'},
      {store: destination, repository: 'mirror/a'},
      {concurrency: 2, referrers: true},
    )
    expect(digests(await destination.listReferrers('mirror/a', subject.descriptor.digest))).toEqual(expected)
  })

  it('a source listing a manifest that does not refer to the subject is refused (exit 8)', async () => {
    const built = new MemoryStore()
    const subjectGraph = addImage(built)
    const subject = subjectGraph.manifest
    const unrelated = addImage(built)
    const source = open()
    await pushBuilt(source, 'ext/lying', built, subjectGraph, '1.0.0')
    await pushBuilt(source, 'ext/lying', built, unrelated)
    const lie = document({schemaVersion: 2, mediaType: IMAGE_INDEX, manifests: [unrelated.manifest.descriptor]}, IMAGE_INDEX)
    await source.pushManifest('ext/lying', lie, referrersTag(subject.descriptor.digest))
    const layoutDir = await tempDir()
    try {
      const layout = new LayoutStore(layoutDir.dir)
      await expect(
        copyArtifact({store: source, repository: 'ext/lying', reference: '1.0.0'}, {store: layout, repository: 'ext/lying'}, {concurrency: 2, referrers: true}),
      ).rejects.toThrow(/is listed as a referrer but does not name it as its subject/)
      expect(await layout.listReferrers('ext/lying', subject.descriptor.digest)).toEqual([])
    } finally {
      await layoutDir.cleanup()
    }
  })
})
