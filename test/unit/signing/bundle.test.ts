import {createPublicKey, generateKeyPairSync, randomBytes} from 'node:crypto'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {toMessageSignatureBundle, bundleToJSON, toDSSEBundle} from '@sigstore/bundle'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {LayoutStore} from '../../../src/lib/oci/layout-store.js'
import type {Descriptor, ImageManifest} from '../../../src/lib/oci/media-types.js'
import {signedBundle} from '../../../src/lib/signing/bundle.js'
import {fingerprintOf} from '../../../src/lib/signing/keys.js'
import {attachBundle} from '../../../src/lib/signing/referrer-bundles.js'
import {signManifest, SIGSTORE_BUNDLE_MEDIA_TYPE, type SigningKey, type TrustedKey, verifyManifestSignatures} from '../../../src/lib/signing/signatures.js'
import {blob, document, IMAGE_INDEX, IMAGE_MANIFEST} from '../../helpers/artifact-graph.js'
import {selfSignedCert} from '../../helpers/certs.js'
import {tempDir} from '../../helpers/cli.js'

const REPO = 'team/redis'
const CREATED = '2026-01-02T03:04:05Z'

function newKey(name: string): {signing: SigningKey; trusted: TrustedKey} {
  const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const fingerprint = fingerprintOf(publicKey)
  return {signing: {privateKey, publicKey, fingerprint}, trusted: {path: `/keys/${name}.pub`, publicKey, fingerprint}}
}

/** An artifact (config + one layer) pushed to the layout under `tag`; its manifest descriptor. */
async function pushArtifact(store: LayoutStore, tag: string): Promise<Descriptor> {
  const config = blob(Buffer.from(JSON.stringify({name: tag})), 'application/vnd.provisioning.extension.config.v1+json')
  const layer = blob(randomBytes(32), 'application/vnd.oci.image.layer.v1.tar+gzip')
  for (const b of [config, layer]) await store.pushBlob(REPO, b.descriptor, b.data)
  const manifest = document({schemaVersion: 2, mediaType: IMAGE_MANIFEST, config: config.descriptor, layers: [layer.descriptor]}, IMAGE_MANIFEST)
  await store.pushManifest(REPO, manifest, tag)
  return manifest.descriptor
}

/** A bundle's JSON with `edit` applied to it (test code only: what an attacker could push). */
function edited(bytes: Buffer, edit: (json: {dsseEnvelope: {payload: string; signatures: Array<{sig: string}>}}) => void): Buffer {
  const json = JSON.parse(bytes.toString('utf8')) as {dsseEnvelope: {payload: string; signatures: Array<{sig: string}>}}
  edit(json)
  return Buffer.from(JSON.stringify(json))
}

describe('signatures as referrers (a real OCI layout)', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let store: LayoutStore
  let artifact: Descriptor
  let other: Descriptor
  const alice = newKey('alice')
  const mallory = newKey('mallory')

  beforeEach(async () => {
    ;({dir, cleanup} = await tempDir())
    store = new LayoutStore(path.join(dir, 'layout'))
    artifact = await pushArtifact(store, '1.0.0')
    other = await pushArtifact(store, '2.0.0')
  })
  afterEach(async () => {
    await store.close()
    await cleanup()
  })

  it('signs a manifest as cosign 3 lays it out, and the signature verifies with the trusted key', async () => {
    const result = await signManifest(store, REPO, artifact, alice.signing, CREATED)
    expect(result.keyFingerprint).toBe(alice.signing.fingerprint)
    const referrer = JSON.parse((await store.fetchManifest(REPO, result.referrer.digest)).bytes.toString('utf8')) as ImageManifest
    expect(referrer).toEqual({
      schemaVersion: 2,
      mediaType: IMAGE_MANIFEST,
      artifactType: SIGSTORE_BUNDLE_MEDIA_TYPE,
      config: {mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2},
      layers: [result.bundle],
      subject: {mediaType: IMAGE_MANIFEST, digest: artifact.digest, size: artifact.size},
      annotations: {
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
        'org.opencontainers.image.created': CREATED,
      },
    })
    expect(result.bundle.annotations).toEqual({'org.opencontainers.image.title': `${result.bundle.digest.replace(':', '-')}.sigstore.json`})
    const bundle = JSON.parse((await store.fetchBlob(REPO, result.bundle)).toString('utf8')) as {
      mediaType: string
      dsseEnvelope: {payload: string; payloadType: string}
    }
    expect(bundle.mediaType).toBe(SIGSTORE_BUNDLE_MEDIA_TYPE)
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json')
    expect(JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'))).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{name: REPO, digest: {sha256: artifact.digest.slice(7)}}],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    })

    const report = await verifyManifestSignatures(store, REPO, artifact, [mallory.trusted, alice.trusted])
    expect(report).toEqual({
      subject: artifact.digest,
      findings: [{referrer: result.referrer.digest, status: 'verified', keyFingerprint: alice.trusted.fingerprint, detail: 'signed by /keys/alice.pub'}],
      verifiedBy: [alice.trusted.fingerprint],
    })
  })

  it('an unsigned artifact has no findings; signing twice leaves two valid bundles', async () => {
    expect(await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])).toEqual({subject: artifact.digest, findings: [], verifiedBy: []})
    const first = await signManifest(store, REPO, artifact, alice.signing, CREATED)
    const second = await signManifest(store, REPO, artifact, alice.signing, CREATED)
    expect(second.referrer.digest).not.toBe(first.referrer.digest)
    const report = await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])
    expect(report.findings.map((f) => f.status)).toEqual(['verified', 'verified'])
    expect(report.verifiedBy).toEqual([alice.trusted.fingerprint])
    // The other artifact's referrers are its own.
    expect((await verifyManifestSignatures(store, REPO, other, [alice.trusted])).findings).toEqual([])
  })

  it('a signature by a key that is not trusted is untrusted-key', async () => {
    await signManifest(store, REPO, artifact, mallory.signing, CREATED)
    const report = await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])
    expect(report.verifiedBy).toEqual([])
    expect(report.findings).toEqual([
      expect.objectContaining({status: 'untrusted-key', detail: expect.stringMatching(/^signed by a key that is not trusted \(key hint /) as string}),
    ])
  })

  it('a tampered payload (statement edited after signing) is bad-signature, naming the key it claims', async () => {
    const tampered = edited(signedBundle(REPO, artifact.digest, alice.signing), (json) => {
      const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString('utf8')) as {subject: Array<{name: string}>}
      statement.subject[0].name = 'team/evil'
      json.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64')
    })
    await attachBundle(store, REPO, artifact, tampered, CREATED)
    const {findings} = await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])
    expect(findings).toEqual([expect.objectContaining({status: 'bad-signature', keyFingerprint: alice.trusted.fingerprint})])
  })

  it('a signature taken from another bundle (over another statement) is bad-signature', async () => {
    const theirs = JSON.parse(signedBundle(REPO, other.digest, alice.signing).toString('utf8')) as {dsseEnvelope: {signatures: Array<{sig: string}>}}
    const spliced = edited(signedBundle(REPO, artifact.digest, alice.signing), (json) => {
      json.dsseEnvelope.signatures[0].sig = theirs.dsseEnvelope.signatures[0].sig
    })
    await attachBundle(store, REPO, artifact, spliced, CREATED)
    expect((await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])).findings[0].status).toBe('bad-signature')
  })

  it('a valid signature whose statement names another artifact is wrong-subject, naming the digest it signs', async () => {
    await attachBundle(store, REPO, artifact, signedBundle(REPO, other.digest, alice.signing), CREATED)
    const report = await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])
    expect(report.verifiedBy).toEqual([])
    expect(report.findings).toEqual([
      expect.objectContaining({status: 'wrong-subject', keyFingerprint: alice.trusted.fingerprint, detail: `signed ${other.digest} (another artifact)`}),
    ])
  })

  it('what is not a DSSE signature bundle is malformed; a keyless bundle is not taken on faith', async () => {
    await attachBundle(store, REPO, artifact, Buffer.from('not json'), CREATED)
    await attachBundle(store, REPO, artifact, Buffer.from(JSON.stringify({mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE})), CREATED)
    const messageSignature = bundleToJSON(toMessageSignatureBundle({digest: randomBytes(32), signature: randomBytes(64), keyHint: 'x'}))
    await attachBundle(store, REPO, artifact, Buffer.from(JSON.stringify(messageSignature)), CREATED)
    const cert = await selfSignedCert(dir)
    const certDer = Buffer.from((await readFile(cert.certFile, 'utf8')).replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64')
    const keyless = bundleToJSON(
      toDSSEBundle({artifact: Buffer.from('{}'), artifactType: 'application/vnd.in-toto+json', signature: randomBytes(64), certificate: certDer}),
    )
    await attachBundle(store, REPO, artifact, Buffer.from(JSON.stringify(keyless)), CREATED)
    const {findings} = await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])
    const byDetail = findings.map((f) => [f.status, f.detail]).sort()
    expect(byDetail).toEqual(
      [
        ['malformed', 'the bundle holds a message signature, not a DSSE envelope over a statement'],
        ['malformed', 'the bundle is not JSON'],
        ['malformed', expect.stringMatching(/^not a Sigstore bundle \(/) as string],
        ['untrusted-key', 'a keyless signature (certificate): only keyed signatures are verified, offline'],
      ].sort(),
    )
  })

  it('a bundle blob damaged in the store is malformed (its digest no longer matches), and others still count', async () => {
    const damaged = await signManifest(store, REPO, artifact, alice.signing, CREATED)
    const good = await signManifest(store, REPO, artifact, alice.signing, CREATED)
    const file = path.join(dir, 'layout', ...REPO.split('/'), 'blobs', 'sha256', damaged.bundle.digest.slice(7))
    const bytes = await readFile(file)
    bytes[bytes.length - 3] ^= 1
    await writeFile(file, bytes)
    const report = await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])
    const statusOf = (digest: string) => report.findings.find((f) => f.referrer === digest)?.status
    expect(statusOf(damaged.referrer.digest)).toBe('malformed')
    expect(statusOf(good.referrer.digest)).toBe('verified')
    expect(report.verifiedBy).toEqual([alice.trusted.fingerprint])
  })

  it('a bundle layer promising more than 1 MiB is malformed without being fetched; at most 100 referrers are checked', async () => {
    const huge = {mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE, digest: `sha256:${'ab'.repeat(32)}`, size: 2 * 1024 * 1024}
    const emptyConfig = blob(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json')
    await store.pushBlob(REPO, emptyConfig.descriptor, emptyConfig.data)
    const referrer = document(
      {
        schemaVersion: 2,
        mediaType: IMAGE_MANIFEST,
        artifactType: SIGSTORE_BUNDLE_MEDIA_TYPE,
        config: emptyConfig.descriptor,
        layers: [huge],
        subject: artifact,
      },
      IMAGE_MANIFEST,
    )
    await store.pushManifest(REPO, {...referrer, descriptor: {...referrer.descriptor, artifactType: SIGSTORE_BUNDLE_MEDIA_TYPE}})
    expect((await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])).findings).toEqual([
      {referrer: referrer.descriptor.digest, status: 'malformed', detail: `the bundle is ${huge.size} bytes, more than the 1048576 allowed`},
    ])
    for (let i = 0; i < 100; i++) await attachBundle(store, REPO, artifact, Buffer.from(`junk ${i}`), CREATED)
    expect((await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])).findings).toHaveLength(100)
  })

  it('referrers that are image indexes (OCI 1.1 allows them) leave signature lookup working', async () => {
    const signed = await signManifest(store, REPO, artifact, alice.signing, CREATED)
    const indexReferrer = async (artifactType: string): Promise<string> => {
      const child = await pushArtifact(store, `child-${artifactType}`)
      const index = document(
        {
          schemaVersion: 2,
          mediaType: IMAGE_INDEX,
          artifactType,
          manifests: [child],
          subject: {mediaType: IMAGE_MANIFEST, digest: artifact.digest, size: artifact.size},
        },
        IMAGE_INDEX,
      )
      await store.pushManifest(REPO, index)
      return index.descriptor.digest
    }
    const sbom = await indexReferrer('application/spdx+json')
    const posing = await indexReferrer(SIGSTORE_BUNDLE_MEDIA_TYPE)
    expect((await store.listReferrers(REPO, artifact.digest)).map((d) => d.digest).sort()).toEqual([signed.referrer.digest, sbom, posing].sort())
    const report = await verifyManifestSignatures(store, REPO, artifact, [alice.trusted])
    expect(report.verifiedBy).toEqual([alice.trusted.fingerprint])
    expect(report.findings).toEqual([
      expect.objectContaining({referrer: signed.referrer.digest, status: 'verified'}),
      {referrer: posing, status: 'malformed', detail: 'an image index, not a bundle manifest'},
    ])
  })

  it('a public key given twice (two paths) verifies once, by fingerprint', async () => {
    await signManifest(store, REPO, artifact, alice.signing, CREATED)
    const again: TrustedKey = {...alice.trusted, path: '/elsewhere/alice.pub', publicKey: createPublicKey(alice.signing.privateKey)}
    const report = await verifyManifestSignatures(store, REPO, artifact, [again, alice.trusted])
    expect(report.verifiedBy).toEqual([alice.trusted.fingerprint])
  })
})
