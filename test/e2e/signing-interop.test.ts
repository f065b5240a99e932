import {createHash} from 'node:crypto'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {execa} from 'execa'
import {beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {OCI_MANIFEST} from '../helpers/oci-layout.js'
import {pushArtifact, pushBlob, putManifest} from '../helpers/registry-http.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'

/*
 * Interop from outside our code (issue 14): what `oci sign` pushes is fetched with plain HTTP,
 * its DSSE pre-authentication encoding rebuilt here and the signature checked by openssl; and
 * a bundle made here with openssl, pushed by plain HTTP as a referrer, is accepted by
 * `oci verify`. Nothing below imports src/.
 */

const PASSPHRASE = 'interop passphrase'
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'
const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json'
const IN_TOTO = 'application/vnd.in-toto+json'
const REPO = 'provisioning-extensions/interop'

const sha256Hex = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex')

/** DSSE v1 PAE, written from the DSSE protocol text: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8')
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload])
}

async function getJson<T>(url: string, accept: string): Promise<T> {
  const res = await fetch(url, {headers: {accept}})
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`)
  return (await res.json()) as T
}

async function openssl(args: string[], cwd: string): Promise<{exitCode: number; stdout: string; stderr: string}> {
  const result = await execa('openssl', args, {cwd, reject: false})
  return {exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr)}
}

interface Envelope {
  payload: string
  payloadType: string
  signatures: Array<{sig: string}>
}

describe('signature interop with openssl (real registry, plain HTTP, no code of ours on the other side)', () => {
  const {registry, box, env} = useRegistrySandbox()
  const base = () => registry().url
  const work = () => box().root
  const cli = (args: string[], input?: string) => runCli(args, {env: env(), cwd: work(), input})
  let ours: {digest: string; bytes: Buffer}
  let theirs: {digest: string; bytes: Buffer}

  beforeAll(async () => {
    const artifact = (name: string) => ({config: {name}, configMediaType: 'application/vnd.provisioning.extension.config.v1+json'})
    ours = await pushArtifact(base(), REPO, '1.0.0', artifact('ours'))
    theirs = await pushArtifact(base(), REPO, '2.0.0', artifact('theirs'))
  })

  it('our bundle, fetched by HTTP: openssl verifies the ECDSA signature over the PAE it is rebuilt into', async () => {
    const generated = await cli(['oci', 'key', 'generate', '--output', 'keys', '--name', 'ours', '--password-stdin', '--json'], PASSPHRASE)
    expect(generated.exitCode, generated.stderr).toBe(0)
    const signed = await cli(['oci', 'sign', `oci://${registry().host}/${REPO}:1.0.0`, '--key', 'keys/ours.key', '--password-stdin', '--json'], PASSPHRASE)
    expect(signed.exitCode, signed.stderr).toBe(0)

    // The referrers tag schema (distribution 2.8 has no referrers API), then the bundle manifest, then the bundle.
    const index = await getJson<{manifests: Array<{digest: string; artifactType: string}>}>(
      `${base()}/v2/${REPO}/manifests/${ours.digest.replace(':', '-')}`,
      INDEX_TYPE,
    )
    expect(index.manifests).toHaveLength(1)
    expect(index.manifests[0].artifactType).toBe(BUNDLE_TYPE)
    const manifest = await getJson<{subject: {digest: string}; layers: Array<{digest: string; mediaType: string}>}>(
      `${base()}/v2/${REPO}/manifests/${index.manifests[0].digest}`,
      OCI_MANIFEST,
    )
    expect(manifest.subject.digest).toBe(ours.digest)
    expect(manifest.layers[0].mediaType).toBe(BUNDLE_TYPE)
    const bundleRes = await fetch(`${base()}/v2/${REPO}/blobs/${manifest.layers[0].digest}`)
    const bundleBytes = Buffer.from(await bundleRes.arrayBuffer())
    expect(`sha256:${sha256Hex(bundleBytes)}`).toBe(manifest.layers[0].digest)
    const bundle = JSON.parse(bundleBytes.toString('utf8')) as {mediaType: string; verificationMaterial: {publicKey: {hint: string}}; dsseEnvelope: Envelope}

    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64')
    const statement = JSON.parse(payload.toString('utf8')) as {_type: string; subject: Array<{digest: {sha256: string}}>; predicateType: string}
    expect(statement._type).toBe('https://in-toto.io/Statement/v1')
    expect(statement.subject.map((s) => s.digest.sha256)).toEqual([ours.digest.slice(7)])
    expect(bundle.dsseEnvelope.payloadType).toBe(IN_TOTO)

    await writeFile(path.join(work(), 'pae.bin'), pae(bundle.dsseEnvelope.payloadType, payload))
    await writeFile(path.join(work(), 'sig.der'), Buffer.from(bundle.dsseEnvelope.signatures[0].sig, 'base64'))
    const verified = await openssl(['dgst', '-sha256', '-verify', 'keys/ours.pub', '-signature', 'sig.der', 'pae.bin'], work())
    expect(verified.exitCode, verified.stderr).toBe(0)
    expect(verified.stdout).toContain('Verified OK')
    // The key hint is cosign's: base64 SHA-256 of the public key's DER, as openssl computes it.
    const der = (await execa('openssl', ['pkey', '-pubin', '-in', 'keys/ours.pub', '-outform', 'DER'], {cwd: work(), encoding: 'buffer'})).stdout
    expect(bundle.verificationMaterial.publicKey.hint).toBe(createHash('sha256').update(der).digest('base64'))

    // The same check fails on a PAE that differs by one byte: the check above is not vacuous.
    const tampered = pae(bundle.dsseEnvelope.payloadType, Buffer.from(payload.toString('utf8').replace(ours.digest.slice(7), theirs.digest.slice(7))))
    await writeFile(path.join(work(), 'pae-tampered.bin'), tampered)
    expect((await openssl(['dgst', '-sha256', '-verify', 'keys/ours.pub', '-signature', 'sig.der', 'pae-tampered.bin'], work())).exitCode).not.toBe(0)
  })

  it('a bundle made with openssl and pushed by HTTP as a referrer is accepted by oci verify (and only with its key)', async () => {
    expect((await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ext.key'], work())).exitCode).toBe(0)
    expect((await openssl(['pkey', '-in', 'ext.key', '-pubout', '-out', 'ext.pub'], work())).exitCode).toBe(0)
    const statement = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{name: `${registry().host}/${REPO}`, digest: {sha256: theirs.digest.slice(7)}}],
        predicateType: 'https://sigstore.dev/cosign/sign/v1',
        predicate: {},
      }),
    )
    await writeFile(path.join(work(), 'ext-pae.bin'), pae(IN_TOTO, statement))
    const signedByOpenssl = await openssl(['dgst', '-sha256', '-sign', 'ext.key', '-out', 'ext-sig.der', 'ext-pae.bin'], work())
    expect(signedByOpenssl.exitCode, signedByOpenssl.stderr).toBe(0)
    const bundle = Buffer.from(
      JSON.stringify({
        mediaType: BUNDLE_TYPE,
        verificationMaterial: {publicKey: {hint: 'made-by-openssl'}, tlogEntries: [], timestampVerificationData: {rfc3161Timestamps: []}},
        dsseEnvelope: {
          payload: statement.toString('base64'),
          payloadType: IN_TOTO,
          signatures: [{sig: (await readFile(path.join(work(), 'ext-sig.der'))).toString('base64'), keyid: ''}],
        },
      }),
    )

    const emptyConfig = Buffer.from('{}')
    const bundleDigest = await pushBlob(base(), REPO, bundle)
    const configDigest = await pushBlob(base(), REPO, emptyConfig)
    const referrer = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: BUNDLE_TYPE,
        config: {mediaType: 'application/vnd.oci.empty.v1+json', digest: configDigest, size: emptyConfig.length},
        layers: [{mediaType: BUNDLE_TYPE, digest: bundleDigest, size: bundle.length}],
        subject: {mediaType: OCI_MANIFEST, digest: theirs.digest, size: theirs.bytes.length},
        annotations: {'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1'},
      }),
    )
    const referrerDigest = `sha256:${sha256Hex(referrer)}`
    await putManifest(base(), REPO, referrerDigest, referrer)
    await putManifest(
      base(),
      REPO,
      theirs.digest.replace(':', '-'),
      {
        schemaVersion: 2,
        mediaType: INDEX_TYPE,
        manifests: [{mediaType: OCI_MANIFEST, digest: referrerDigest, size: referrer.length, artifactType: BUNDLE_TYPE}],
      },
      INDEX_TYPE,
    )

    const der = (await execa('openssl', ['pkey', '-pubin', '-in', 'ext.pub', '-outform', 'DER'], {cwd: work(), encoding: 'buffer'})).stdout
    const result = await cli(['oci', 'verify', `oci://${registry().host}/${REPO}:2.0.0`, '--key', 'ext.pub', '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(json(result)).toMatchObject({
      digest: theirs.digest,
      verifiedBy: [{fingerprint: `sha256:${sha256Hex(der)}`, path: path.join(work(), 'ext.pub')}],
      findings: [{referrer: referrerDigest, status: 'verified'}],
    })
    const otherKey = await cli(['oci', 'verify', `oci://${registry().host}/${REPO}:2.0.0`, '--key', 'keys/ours.pub', '--json'])
    expect(otherKey.exitCode).toBe(8)
  })
})
