import {afterEach, describe, expect, it} from 'vitest'

import {IntegrityError} from '../../../src/lib/errors.js'
import {MemoryStore} from '../../../src/lib/oci/memory-store.js'
import {MAX_REFERRERS} from '../../../src/lib/oci/referrers.js'
import {RegistryStore} from '../../../src/lib/oci/registry-store.js'
import {addImage} from '../../helpers/artifact-graph.js'
import {addReferrer, BUNDLE_TYPE} from '../../helpers/referrer-graph.js'
import {answer, type ReceivedRequest, scriptedServerPool} from '../../helpers/scripted-http.js'

/**
 * A registry that has the referrers API (distribution 3, Harbor, zot…): our test registry
 * (distribution 2.8) has none, so a scripted HTTP server plays one, answering as the
 * distribution spec says.
 */
const INDEX = 'application/vnd.oci.image.index.v1+json'
const SUBJECT = `sha256:${'e'.repeat(64)}`
const signature = {mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 10, artifactType: BUNDLE_TYPE}
const sbom = {...signature, digest: `sha256:${'2'.repeat(64)}`, artifactType: 'application/spdx+json'}

const pool = scriptedServerPool()
afterEach(() => pool.closeAll())

function storeFor(host: string): RegistryStore {
  return new RegistryStore({
    host,
    plainHttp: true,
    timeoutMs: 10_000,
    minBytesPerSecond: 64 * 1024,
    retries: 0,
    connections: 2,
    credentials: async () => undefined,
  })
}

/** /v2/ answers 200; everything else goes to `route` (404 when it returns false). */
async function registryWith(route: (request: ReceivedRequest, res: Parameters<typeof answer>[0]) => boolean) {
  return pool.serve((request, res) => {
    if (request.url === '/v2/') return answer(res, 200, {}, {})
    if (!route(request, res)) answer(res, 404, {'content-type': 'application/json'}, {errors: [{code: 'NOT_FOUND'}]})
  })
}

describe('RegistryStore.listReferrers on a registry with the referrers API', () => {
  it('reads the API and filters by artifactType itself when the registry did not (no OCI-Filters-Applied)', async () => {
    const server = await registryWith((request, res) => {
      if (!request.url.startsWith(`/v2/ns/x/referrers/${SUBJECT}`)) return false
      answer(res, 200, {'content-type': INDEX}, {schemaVersion: 2, mediaType: INDEX, manifests: [signature, sbom]})
      return true
    })
    const store = storeFor(server.host)
    expect(await store.listReferrers('ns/x', SUBJECT)).toEqual([signature, sbom])
    expect(await store.listReferrers('ns/x', SUBJECT, BUNDLE_TYPE)).toEqual([signature])
    expect(server.requests.map((r) => r.url)).toContain(`/v2/ns/x/referrers/${SUBJECT}?artifactType=${encodeURIComponent(BUNDLE_TYPE)}`)
    // The API answered: the fallback tag is never read.
    expect(server.requests.some((r) => r.url.includes('/manifests/'))).toBe(false)
    await store.close()
  })

  it('a registry saying OCI-Filters-Applied while sending other types still gets only the asked type through', async () => {
    const server = await registryWith((request, res) => {
      if (!request.url.includes('/referrers/')) return false
      answer(res, 200, {'content-type': INDEX, 'oci-filters-applied': 'artifactType'}, {schemaVersion: 2, mediaType: INDEX, manifests: [signature, sbom]})
      return true
    })
    const store = storeFor(server.host)
    expect(await store.listReferrers('ns/x', SUBJECT, BUNDLE_TYPE)).toEqual([signature])
    await store.close()
  })

  it('a hostile referrers answer is refused (exit 8), naming the registry', async () => {
    const server = await registryWith((request, res) => {
      if (!request.url.includes('/referrers/')) return false
      answer(res, 200, {'content-type': INDEX}, {schemaVersion: 2, mediaType: INDEX, manifests: Array.from({length: MAX_REFERRERS + 1}, () => signature)})
      return true
    })
    const store = storeFor(server.host)
    const error = await store.listReferrers('ns/x', SUBJECT).catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(IntegrityError)
    expect((error as Error).message).toContain(server.host)
    await store.close()
  })

  it('an answer that is not an image index means no API: the referrers tag is read instead', async () => {
    const server = await registryWith((request, res) => {
      if (!request.url.includes('/referrers/')) return false
      answer(res, 200, {'content-type': 'text/html'}, '<html>registry UI</html>')
      return true
    })
    const store = storeFor(server.host)
    expect(await store.listReferrers('ns/x', SUBJECT)).toEqual([])
    expect(server.requests.map((r) => r.url)).toContain(`/v2/ns/x/manifests/sha256-${'e'.repeat(64)}`)
    await store.close()
  })

  it('a referrer pushed to a registry answering OCI-Subject leaves the referrers tag alone', async () => {
    const built = new MemoryStore()
    const subject = addImage(built)
    const referrer = addReferrer(built, subject.manifest)
    const server = await registryWith((request, res) => {
      if (request.method !== 'PUT' || request.url !== `/v2/ns/x/manifests/${referrer.manifest.descriptor.digest}`) return false
      answer(res, 201, {'docker-content-digest': referrer.manifest.descriptor.digest, 'oci-subject': subject.manifest.descriptor.digest})
      return true
    })
    const store = storeFor(server.host)
    await store.pushManifest('ns/x', referrer.manifest)
    expect(server.requests.filter((r) => r.url.includes('/manifests/')).map((r) => `${r.method} ${r.url}`)).toEqual([
      `PUT /v2/ns/x/manifests/${referrer.manifest.descriptor.digest}`,
    ])
    await store.close()
  })
})
