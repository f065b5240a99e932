import {readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {IntegrityError} from '../../../src/lib/errors.js'
import {LayoutStore} from '../../../src/lib/oci/layout-store.js'
import {MemoryStore} from '../../../src/lib/oci/memory-store.js'
import {referrersTag} from '../../../src/lib/oci/referrers.js'
import type {ContentStore} from '../../../src/lib/oci/store.js'
import {addImage, document, IMAGE_INDEX} from '../../helpers/artifact-graph.js'
import {tempDir} from '../../helpers/cli.js'
import {addIndexReferrer, addReferrer, BUNDLE_TYPE, pushBuilt, pushIndexReferrer} from '../../helpers/referrer-graph.js'
import {startFaultProxy} from '../../fixtures/fault-proxy.js'
import {useRegistry} from '../../helpers/registry.js'
import {useRegistryStores} from '../../helpers/registry-stores.js'
import {skopeoCopy, skopeoInspectRaw} from '../../helpers/skopeo.js'

/**
 * What every store with listReferrers promises (OCI 1.1 referrers): a manifest pushed with a
 * `subject` is listed among that subject's referrers (with artifactType and annotations),
 * once however often it is pushed, filtered by artifactType on request; other subjects'
 * referrers are not; tags stay the tags that were pushed.
 */
/** Two images built in memory and pushed to `target` as versions 1.0.0 (`subject`) and 2.0.0 (`other`). */
async function twoVersions(target: ContentStore, repository: string) {
  const built = new MemoryStore()
  const subject = addImage(built)
  const other = addImage(built)
  await pushBuilt(target, repository, built, subject, '1.0.0')
  await pushBuilt(target, repository, built, other, '2.0.0')
  return {built, subject, other}
}

function referrersContract(name: string, store: () => ContentStore, afterPush?: (repository: string, subject: string) => Promise<void>): void {
  describe(`referrers contract: ${name}`, () => {
    const repository = `referrers/${name.toLowerCase()}`

    it('lists the referrers pushed for a subject, filters by artifactType, never duplicates', async () => {
      const target = store()
      const {built, subject, other} = await twoVersions(target, repository)
      const signature = addReferrer(built, subject.manifest)
      const sbom = addReferrer(built, subject.manifest, 'application/spdx+json', {kind: 'sbom'})
      const elsewhere = addReferrer(built, other.manifest)
      expect(await target.listReferrers?.(repository, subject.manifest.descriptor.digest)).toEqual([])
      for (const r of [signature, sbom, elsewhere, signature]) await pushBuilt(target, repository, built, r)

      const listed = await target.listReferrers?.(repository, subject.manifest.descriptor.digest)
      expect(listed?.map((d) => d.digest).sort()).toEqual([signature.manifest.descriptor.digest, sbom.manifest.descriptor.digest].sort())
      expect(listed?.find((d) => d.digest === signature.manifest.descriptor.digest)).toMatchObject({
        mediaType: signature.manifest.descriptor.mediaType,
        size: signature.manifest.descriptor.size,
        artifactType: BUNDLE_TYPE,
        annotations: {'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1'},
      })
      expect((await target.listReferrers?.(repository, subject.manifest.descriptor.digest, BUNDLE_TYPE))?.map((d) => d.digest)).toEqual([
        signature.manifest.descriptor.digest,
      ])
      expect(await target.listReferrers?.(repository, subject.manifest.descriptor.digest, 'application/none')).toEqual([])
      expect((await target.listReferrers?.(repository, other.manifest.descriptor.digest))?.map((d) => d.digest)).toEqual([elsewhere.manifest.descriptor.digest])

      // A referrer reads back by digest like any manifest; the subject is untouched.
      expect((await target.fetchManifest(repository, signature.manifest.descriptor.digest)).bytes.equals(signature.manifest.bytes)).toBe(true)
      expect((await target.resolve(repository, '1.0.0')).digest).toBe(subject.manifest.descriptor.digest)
      await afterPush?.(repository, subject.manifest.descriptor.digest)
    })

    it('an image index with a subject is a referrer too, listed and filtered like a manifest', async () => {
      const target = store()
      const built = new MemoryStore()
      const subject = addImage(built)
      await pushBuilt(target, `${repository}-index`, built, subject, '1.0.0')
      const signature = addReferrer(built, subject.manifest)
      const sbom = addIndexReferrer(built, subject.manifest)
      await pushBuilt(target, `${repository}-index`, built, signature)
      await pushIndexReferrer(target, `${repository}-index`, built, sbom)
      const listed = await target.listReferrers?.(`${repository}-index`, subject.manifest.descriptor.digest)
      expect(listed?.find((d) => d.digest === sbom.manifest.descriptor.digest)).toMatchObject({
        mediaType: 'application/vnd.oci.image.index.v1+json',
        artifactType: 'application/spdx+json',
      })
      expect(listed).toHaveLength(2)
      expect((await target.listReferrers?.(`${repository}-index`, subject.manifest.descriptor.digest, BUNDLE_TYPE))?.map((d) => d.digest)).toEqual([
        signature.manifest.descriptor.digest,
      ])
    })

    it('deleteReferrers takes the referrers of a subject, theirs, and nothing else', async () => {
      const target = store()
      const repo = `${repository}-delete`
      const {built, subject, other} = await twoVersions(target, repo)
      const signature = addReferrer(built, subject.manifest)
      const attestation = addReferrer(built, signature.manifest, 'application/vnd.in-toto+json')
      const sbom = addIndexReferrer(built, subject.manifest)
      const elsewhere = addReferrer(built, other.manifest)
      for (const r of [signature, attestation, elsewhere]) await pushBuilt(target, repo, built, r)
      await pushIndexReferrer(target, repo, built, sbom)

      const deleted = await target.deleteReferrers(repo, subject.manifest.descriptor.digest)
      expect(deleted.sort()).toEqual([signature, attestation, sbom].map((r) => r.manifest.descriptor.digest).sort())
      expect(await target.listReferrers?.(repo, subject.manifest.descriptor.digest)).toEqual([])
      expect(await target.listReferrers?.(repo, signature.manifest.descriptor.digest)).toEqual([])
      expect((await target.listReferrers?.(repo, other.manifest.descriptor.digest))?.map((d) => d.digest)).toEqual([elsewhere.manifest.descriptor.digest])
      expect((await target.resolve(repo, '1.0.0')).digest).toBe(subject.manifest.descriptor.digest)
      expect((await target.resolve(repo, '2.0.0')).digest).toBe(other.manifest.descriptor.digest)
      expect(await target.deleteReferrers(repo, subject.manifest.descriptor.digest)).toEqual([])
    })
  })
}

referrersContract('Memory', () => new MemoryStore())

describe('on disk', () => {
  let root = ''
  let cleanup: () => Promise<void> = async () => undefined
  beforeAll(async () => {
    ;({dir: root, cleanup} = await tempDir())
  })
  afterAll(() => cleanup())
  referrersContract(
    'Layout',
    () => new LayoutStore(path.join(root, 'layout')),
    async (repository) => {
      const layout = new LayoutStore(path.join(root, 'layout'))
      // Referrers are untagged index.json entries with their artifactType: tags stay the pushed ones.
      expect((await layout.listTags(repository)).sort()).toEqual(['1.0.0', '2.0.0'])
      const index = JSON.parse(await readFile(path.join(root, 'layout', ...repository.split('/'), 'index.json'), 'utf8')) as {
        manifests: Array<{artifactType?: string; annotations?: Record<string, string>}>
      }
      const referrerEntries = index.manifests.filter((m) => m.artifactType)
      expect(referrerEntries).toHaveLength(3)
      expect(referrerEntries.every((m) => m.annotations === undefined)).toBe(true)
    },
  )

  it('a tag moved off a signed manifest keeps it as an untagged entry (its referrers keep their subject); off an unsigned one, drops it', async () => {
    const layout = new LayoutStore(path.join(root, 'moved'))
    const built = new MemoryStore()
    const [signedOld, unsignedOld, next, later] = [addImage(built), addImage(built), addImage(built), addImage(built)]
    const signature = addReferrer(built, signedOld.manifest)
    await pushBuilt(layout, 'x', built, signedOld, '1.0.0')
    await pushBuilt(layout, 'x', built, signature)
    await pushBuilt(layout, 'x', built, unsignedOld, '2.0.0')
    await pushBuilt(layout, 'x', built, next, '1.0.0')
    await pushBuilt(layout, 'x', built, later, '2.0.0')
    const index = JSON.parse(await readFile(path.join(root, 'moved', 'x', 'index.json'), 'utf8')) as {
      manifests: Array<{digest: string; annotations?: Record<string, string>}>
    }
    const entry = (graph: {manifest: {descriptor: {digest: string}}}) => index.manifests.filter((m) => m.digest === graph.manifest.descriptor.digest)
    expect(entry(signedOld)).toEqual([expect.not.objectContaining({annotations: expect.anything()})])
    expect(entry(unsignedOld)).toEqual([])
    expect((await layout.listTags('x')).sort()).toEqual(['1.0.0', '2.0.0'])
    expect((await layout.listReferrers('x', signedOld.manifest.descriptor.digest)).map((d) => d.digest)).toEqual([signature.manifest.descriptor.digest])
  })

  it('a layout without index.json has no referrers; a dangling entry is skipped, a damaged one refused (exit 8)', async () => {
    const layout = new LayoutStore(path.join(root, 'other'))
    expect(await layout.listReferrers('none', `sha256:${'c'.repeat(64)}`)).toEqual([])
    const built = new MemoryStore()
    const subject = addImage(built)
    const kept = addReferrer(built, subject.manifest)
    const dangling = addReferrer(built, subject.manifest)
    for (const graph of [subject, kept, dangling]) await pushBuilt(layout, 'x', built, graph)
    const blobFile = (digest: string) => path.join(root, 'other', 'x', 'blobs', 'sha256', digest.slice('sha256:'.length))
    await rm(blobFile(dangling.manifest.descriptor.digest))
    expect((await layout.listReferrers('x', subject.manifest.descriptor.digest)).map((d) => d.digest)).toEqual([kept.manifest.descriptor.digest])
    await writeFile(blobFile(kept.manifest.descriptor.digest), Buffer.alloc(kept.manifest.descriptor.size, 0x20))
    await expect(layout.listReferrers('x', subject.manifest.descriptor.digest)).rejects.toBeInstanceOf(IntegrityError)
  })
})

describe('on a registry without the referrers API (distribution 2.8: the referrers tag schema)', () => {
  const registry = useRegistry()
  const openStore = useRegistryStores()
  const open = (host = registry().host) => openStore(host)
  let outside = ''
  let cleanup: () => Promise<void> = async () => undefined
  beforeAll(async () => {
    ;({dir: outside, cleanup} = await tempDir())
  })
  afterAll(() => cleanup())

  referrersContract(
    'Registry',
    () => open(),
    async (repository, subject) => {
      const host = registry().host
      // Seen from outside: the fallback index under sha256-<hex> lists the two referrers once.
      const raw = JSON.parse(await skopeoInspectRaw(`docker://${host}/${repository}:${referrersTag(subject)}`)) as {
        mediaType: string
        manifests: Array<{digest: string; artifactType?: string}>
      }
      expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json')
      expect(raw.manifests).toHaveLength(2)
      expect(new Set(raw.manifests.map((m) => m.digest)).size).toBe(2)
      // The subject itself is untouched for other tools.
      expect(JSON.parse(await skopeoInspectRaw(`docker://${host}/${repository}:1.0.0`))).not.toHaveProperty('subject')
      await skopeoCopy(`docker://${host}/${repository}:1.0.0`, `oci:${path.join(outside, 'copied')}:1.0.0`, {
        src: {tlsVerify: false},
        args: ['--preserve-digests'],
      })
      const copied = JSON.parse(await readFile(path.join(outside, 'copied', 'index.json'), 'utf8')) as {manifests: Array<{digest: string}>}
      expect(copied.manifests.map((m) => m.digest)).toEqual([subject])
    },
  )

  it('probes the referrers API once per store, then reads the tag straight away', async () => {
    const proxy = await startFaultProxy({target: registry().url})
    try {
      const store = open(proxy.host)
      const subject = `sha256:${'d'.repeat(64)}`
      for (let i = 0; i < 3; i++) expect(await store.listReferrers('probe/once', subject)).toEqual([])
      const paths = proxy.requests.map((r) => r.path)
      expect(paths.filter((p) => p.includes('/referrers/'))).toEqual([`/v2/probe/once/referrers/${subject}`])
      expect(paths.filter((p) => p === `/v2/probe/once/manifests/${referrersTag(subject)}`)).toHaveLength(3)
    } finally {
      await proxy.stop()
    }
  })

  it('deleteReferrers leaves a version that a forged sha256-<hex> index lists, and that index with it', async () => {
    const store = open()
    const built = new MemoryStore()
    const subject = addImage(built)
    const release = addImage(built)
    await pushBuilt(store, 'forged/x', built, subject, '1.0.0')
    await pushBuilt(store, 'forged/x', built, release, '2.0.0')
    const forged = document({schemaVersion: 2, mediaType: IMAGE_INDEX, manifests: [release.manifest.descriptor]}, IMAGE_INDEX)
    await store.pushManifest('forged/x', forged, referrersTag(subject.manifest.descriptor.digest))
    expect(await store.deleteReferrers('forged/x', subject.manifest.descriptor.digest)).toEqual([])
    expect((await store.resolve('forged/x', '2.0.0')).digest).toBe(release.manifest.descriptor.digest)
    // Deleting that index by digest is safe only when it lists nothing that is still there.
    expect((await store.resolve('forged/x', referrersTag(subject.manifest.descriptor.digest))).digest).toBe(forged.descriptor.digest)
  })

  it('a referrer whose subject list is not a referrers index is not deleted (exit 8, nothing changed)', async () => {
    const store = open()
    const built = new MemoryStore()
    const subject = addImage(built)
    const impostor = addImage(built)
    const signature = addReferrer(built, subject.manifest)
    await pushBuilt(store, 'lying/delete', built, subject, '1.0.0')
    await pushBuilt(store, 'lying/delete', built, signature)
    await pushBuilt(store, 'lying/delete', built, impostor, referrersTag(subject.manifest.descriptor.digest))
    await expect(store.deleteManifest('lying/delete', signature.manifest.descriptor.digest)).rejects.toBeInstanceOf(IntegrityError)
    expect(await store.hasManifest('lying/delete', signature.manifest.descriptor.digest)).toBe(true)
    expect((await store.resolve('lying/delete', referrersTag(subject.manifest.descriptor.digest))).digest).toBe(impostor.manifest.descriptor.digest)
  })

  it('a fallback tag that is not a referrers index is refused (exit 8), naming the registry', async () => {
    const store = open()
    const built = new MemoryStore()
    const subject = addImage(built)
    const impostor = addImage(built)
    await pushBuilt(store, 'lying/x', built, subject, '1.0.0')
    await pushBuilt(store, 'lying/x', built, impostor, referrersTag(subject.manifest.descriptor.digest))
    const error = await store.listReferrers('lying/x', subject.manifest.descriptor.digest).catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(IntegrityError)
    expect((error as Error).message).toContain(registry().host)
    // Nor is a referrer added on top of it: the impostor stays as it was.
    const signature = addReferrer(built, subject.manifest)
    await expect(pushBuilt(store, 'lying/x', built, signature)).rejects.toBeInstanceOf(IntegrityError)
    expect((await store.resolve('lying/x', referrersTag(subject.manifest.descriptor.digest))).digest).toBe(impostor.manifest.descriptor.digest)
  })
})
