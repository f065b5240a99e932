import {generateKeyPairSync} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {MemoryStore} from '../../src/lib/oci/memory-store.js'
import {fingerprintOf} from '../../src/lib/signing/keys.js'
import {signManifest} from '../../src/lib/signing/signatures.js'
import {type HostileRegistry, OCI_MANIFEST, startHostileRegistry} from '../fixtures/hostile-registry.js'
import {type CliResult, runCli} from '../helpers/cli.js'
import type {ErrorDoc} from '../helpers/oci-types.js'
import {tarGz} from '../helpers/tar.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * The referrers API paged with `Link` headers (distribution spec "Listing Referrers": a
 * registry may page it like a tag list). Our docker-registry has no referrers API, so the
 * hostile registry answers it by rule: a signature on page 2 must be found, and the pages are
 * followed under the tag list's rules (same origin, no loop: exit 6).
 */
const INDEX = 'application/vnd.oci.image.index.v1+json'
const REPOSITORY = 'provisioning-extensions'
const SBOM = {mediaType: OCI_MANIFEST, digest: `sha256:${'5'.repeat(64)}`, size: 300, artifactType: 'application/spdx+json'}

interface Signed {
  subject: string
  /** The signature's descriptor, as a referrers index lists it. */
  signature: {mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string>}
}

describe('oci verify follows the pages of the referrers API (built CLI, hostile registry)', () => {
  let hostile: HostileRegistry
  let box: Sandbox
  let env: Record<string, string>
  let publicKeyFile: string
  const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const fingerprint = fingerprintOf(publicKey)
  const cli = (args: string[]): Promise<CliResult> => runCli(args, {env, cwd: box.root})

  /** `name:1.0.0` on the hostile registry, signed with the test key (its referrer served by digest, listed by no one yet). */
  async function signedArtifact(name: string): Promise<Signed> {
    const repository = `${REPOSITORY}/${name}`
    const layer = tarGz([{name: 'manifest.yaml', content: `name: ${name}\ntype: taskserv\nversion: 1.0.0\n`}])
    const artifact = hostile.setArtifact(repository, '1.0.0', {layer})
    const built = new MemoryStore()
    const subject = {mediaType: OCI_MANIFEST, digest: artifact.digest, size: artifact.manifest.byteLength}
    const {referrer, bundle} = await signManifest(built, repository, subject, {privateKey, publicKey, fingerprint}, '2026-01-02T03:04:05Z')
    hostile.setBlob(repository, await built.fetchBlob(repository, bundle))
    hostile.setBlob(repository, Buffer.from('{}'))
    hostile.setArtifact(repository, 'signature', {manifest: (await built.fetchManifest(repository, referrer.digest)).bytes})
    return {subject: artifact.digest, signature: referrer}
  }

  const referrersPath = (name: string, subject: string) => `/v2/${REPOSITORY}/${name}/referrers/${subject}`
  const page = (manifests: object[]) => JSON.stringify({schemaVersion: 2, mediaType: INDEX, manifests})

  /** Page 1 (whatever query the client adds) lists `page1` (an SBOM) and links to `next`; page 2 (`?page=2`) lists `manifests`. */
  function pagedReferrers(name: string, subject: string, next: string, manifests: object[], page2Next?: string, page1: object[] = [SBOM]): void {
    hostile.behave({
      match: {path: new RegExp(`${referrersPath(name, subject)}\\?page=2$`)},
      behaviour: {status: 200, headers: {'content-type': INDEX, ...(page2Next ? {link: `<${page2Next}>; rel="next"`} : {})}, body: page(manifests)},
    })
    hostile.behave({
      match: {path: new RegExp(`${referrersPath(name, subject)}(\\?artifactType=[^&]*)?$`)},
      behaviour: {status: 200, headers: {'content-type': INDEX, link: `<${next}>; rel="next"`}, body: page(page1)},
    })
  }

  function expectFailure(result: CliResult, exit: number, message: RegExp): void {
    const {error} = JSON.parse(result.stdout) as ErrorDoc
    expect({exit: result.exitCode, code: error.exit}, `${error.message}\n${result.stderr}`).toEqual({exit, code: exit})
    expect(error.message).toMatch(message)
  }

  beforeAll(async () => {
    hostile = await startHostileRegistry()
    box = await sandbox()
    env = {...box.env, PROVISIONING_OCI__REGISTRY: hostile.host, PROVISIONING_OCI__TOOL: 'native', PROVISIONING_OCI__TLS_ENABLED: 'false'}
    publicKeyFile = path.join(box.root, 'signer.pub')
    await writeFile(publicKeyFile, publicKey.export({type: 'spki', format: 'pem'}))
  })
  afterAll(async () => {
    await hostile?.stop()
    await box?.cleanup()
  })
  beforeEach(() => hostile.reset())

  it('a signature listed on page 2 verifies', async () => {
    const {subject, signature} = await signedArtifact('paged')
    pagedReferrers('paged', subject, `${referrersPath('paged', subject)}?page=2`, [signature])
    const result = await cli(['oci', 'verify', 'paged:1.0.0', '--key', publicKeyFile, '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({
      digest: subject,
      verifiedBy: [{fingerprint}],
      findings: [{referrer: signature.digest, status: 'verified'}],
    })
    expect(hostile.requests.filter((r) => r.path.includes('/referrers/')).map((r) => r.path.split('?')[1]?.split('=')[0])).toEqual(['artifactType', 'page'])
  })

  it('pages that loop end with exit 6 naming the loop, each page read once', async () => {
    const {subject, signature} = await signedArtifact('looping')
    const second = `${referrersPath('looping', subject)}?page=2`
    pagedReferrers('looping', subject, second, [signature], second)
    const result = await cli(['oci', 'verify', 'looping:1.0.0', '--key', publicKeyFile, '--json'])
    expectFailure(result, 6, /pagination loop/)
    expect(hostile.requests.filter((r) => r.path.includes('/referrers/'))).toHaveLength(2)
  })

  it('a page that lists nothing but links on ends with exit 6: empty pages do not spend the page cap', async () => {
    const {subject, signature} = await signedArtifact('hollow')
    pagedReferrers('hollow', subject, `${referrersPath('hollow', subject)}?page=2`, [signature], undefined, [])
    const result = await cli(['oci', 'verify', 'hollow:1.0.0', '--key', publicKeyFile, '--json'])
    expectFailure(result, 6, /page 1 lists no referrers but links to another page/)
    expect(hostile.requests.filter((r) => r.path.includes('/referrers/'))).toHaveLength(1)
  })

  it('a Link to another origin is not followed (exit 6)', async () => {
    const {subject, signature} = await signedArtifact('elsewhere')
    pagedReferrers('elsewhere', subject, `${hostile.plainUrl}${referrersPath('elsewhere', subject)}?page=2`, [signature])
    const result = await cli(['oci', 'verify', 'elsewhere:1.0.0', '--key', publicKeyFile, '--json'])
    expectFailure(result, 6, /another origin/)
    expect(hostile.requests.filter((r) => r.listener === 'plain')).toEqual([])
  })
})
