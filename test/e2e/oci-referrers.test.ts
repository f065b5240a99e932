import {createHash} from 'node:crypto'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {LayoutStore} from '../../src/lib/oci/layout-store.js'
import {MemoryStore} from '../../src/lib/oci/memory-store.js'
import {json, runCli} from '../helpers/cli.js'
import {publish, writeExtension} from '../helpers/deps.js'
import {addReferrer, BUNDLE_TYPE, PREDICATE_ANNOTATION, pushBuilt} from '../helpers/referrer-graph.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'
import {useRegistryStores} from '../helpers/registry-stores.js'
import {skopeo, skopeoInspectRaw} from '../helpers/skopeo.js'
import type {Sandbox} from '../helpers/workspace.js'

interface Referrer {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
  annotations?: Record<string, string>
}

interface CopyDoc {
  destination: string
  digest: string
  referrers?: number
}

interface InspectDoc {
  digest: string
  referrers: Referrer[]
}

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`
const fallbackTag = (digest: string) => digest.replace(':', '-')
const REPOSITORY = 'provisioning-extensions/redis'

/**
 * `oci copy` carries OCI 1.1 referrers (signatures…) and `oci inspect` lists them (issue 14),
 * on the real registry (distribution 2.8: the referrers tag schema) and an OCI layout. The
 * referrers are built by hand (an empty config and one layer, cosign 3's layout) and pushed
 * by the store itself: signing is not what is tested here.
 */
describe('oci copy / oci inspect with referrers (built CLI, real registry, skopeo from outside)', () => {
  const {registry, box: currentBox, env: currentEnv} = useRegistrySandbox()
  let box: Sandbox
  let env: Record<string, string>
  let subject = ''
  let referrers: string[] = []
  const cli = (args: string[]) => runCli(args, {env, cwd: box.root})
  const docker = (repository: string, tag: string) => `docker://${registry().host}/${repository}:${tag}`
  const openStore = useRegistryStores()

  beforeAll(async () => {
    box = currentBox()
    env = currentEnv()
    for (const version of ['0.1.0', '0.2.0']) {
      const dir = path.join(box.root, `redis-${version}`)
      await writeExtension(dir, {name: 'redis', version}, {VERSION: `${version}\n`})
      await publish(registry().host, box.env, [dir])
    }
    const store = openStore(registry().host)
    const signed = await store.fetchManifest(REPOSITORY, '0.1.0')
    subject = signed.descriptor.digest
    const built = new MemoryStore()
    const graphs = [addReferrer(built, signed), addReferrer(built, signed, 'application/spdx+json', {kind: 'sbom'})]
    for (const graph of graphs) await pushBuilt(store, REPOSITORY, built, graph)
    referrers = graphs.map((g) => g.manifest.descriptor.digest).sort()
  })

  it('oci inspect lists the referrers (--json and text); an artifact without any says so', async () => {
    const result = await cli(['oci', 'inspect', 'redis:0.1.0', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const doc = json<InspectDoc>(result)
    expect(doc.digest).toBe(subject)
    expect(doc.referrers.map((r) => r.digest).sort()).toEqual(referrers)
    expect(doc.referrers.find((r) => r.artifactType === BUNDLE_TYPE)).toMatchObject({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      annotations: {[PREDICATE_ANNOTATION]: 'https://slsa.dev/provenance/v1'},
    })
    const text = await cli(['oci', 'inspect', 'redis:0.1.0'])
    expect(text.exitCode, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/referrers:\n/)
    expect(text.stdout).toContain(BUNDLE_TYPE)
    expect(text.stdout).toContain(`${PREDICATE_ANNOTATION}=https://slsa.dev/provenance/v1`)
    for (const digest of referrers) expect(text.stdout).toContain(digest)

    const unsigned = await cli(['oci', 'inspect', 'redis:0.2.0', '--json'])
    expect(json<InspectDoc>(unsigned).referrers).toEqual([])
    expect((await cli(['oci', 'inspect', 'redis:0.2.0'])).stdout).toContain('referrers: (none)')
  })

  it('registry to layout carries the referrers; inspect of the layout lists them; skopeo reads the copy', async () => {
    const layout = path.join(box.root, 'mirror')
    const result = await cli(['oci', 'copy', 'redis:0.1.0', `oci-layout://${layout}/redis:0.1.0`, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(json<CopyDoc>(result)).toMatchObject({digest: subject, referrers: 2})
    const listed = await new LayoutStore(layout).listReferrers('redis', subject)
    expect(listed.map((r) => r.digest).sort()).toEqual(referrers)
    const inspect = json<InspectDoc>(await cli(['oci', 'inspect', `oci-layout://${layout}/redis:0.1.0`, '--json']))
    expect(inspect.referrers.map((r) => r.digest).sort()).toEqual(referrers)
    expect(digestOf(await skopeo(['inspect', '--raw', `oci:${path.join(layout, 'redis')}:0.1.0`]))).toBe(subject)
  })

  it('registry to registry carries them into the referrers tag, reported in text; --no-signatures copies none', async () => {
    const result = await cli(['oci', 'copy', 'redis:0.1.0', `oci://${registry().host}/mirror/redis:0.1.0`, '--verbose'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain('referrers: 2 copied along')
    expect(result.stderr).toContain('(referrer)')
    const index = JSON.parse(await skopeoInspectRaw(docker('mirror/redis', fallbackTag(subject)))) as {manifests: Referrer[]}
    expect(index.manifests.map((m) => m.digest).sort()).toEqual(referrers)
    expect(digestOf(await skopeoInspectRaw(docker('mirror/redis', '0.1.0')))).toBe(subject)

    const bare = await cli(['oci', 'copy', 'redis:0.1.0', `oci://${registry().host}/bare/redis:0.1.0`, '--no-signatures', '--json'])
    expect(bare.exitCode, bare.stderr).toBe(0)
    const doc = json<CopyDoc>(bare)
    expect(doc.digest).toBe(subject)
    expect(doc.referrers).toBeUndefined()
    await expect(skopeoInspectRaw(docker('bare/redis', fallbackTag(subject)))).rejects.toThrow(/manifest unknown|not found/i)
    const inspect = json<InspectDoc>(await cli(['oci', 'inspect', `oci://${registry().host}/bare/redis:0.1.0`, '--json']))
    expect(inspect.referrers).toEqual([])
  })
})
