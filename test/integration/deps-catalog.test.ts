import {mkdtemp, readdir, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {fetchRegistryCatalog} from '../../src/lib/deps/registry-catalog.js'
import {resolve} from '../../src/lib/deps/resolver.js'
import {OciStores} from '../../src/lib/oci/stores.js'
import {pushExtensions} from '../../src/lib/oci/ops/push.js'
import {ociSettingsFrom} from '../../src/lib/oci/settings.js'
import {Session} from '../../src/lib/session/session.js'
import {repoRoot} from '../helpers/cli.js'
import {startFaultProxy} from '../fixtures/fault-proxy.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'

const examples = path.join(repoRoot, 'templates', 'examples')
async function exampleDirs(): Promise<string[]> {
  const dirs: string[] = []
  for (const type of await readdir(examples, {withFileTypes: true})) {
    if (!type.isDirectory()) continue
    for (const name of await readdir(path.join(examples, type.name))) {
      for (const version of await readdir(path.join(examples, type.name, name))) dirs.push(path.join(examples, type.name, name, version))
    }
  }
  return dirs
}

describe('resolver catalog from a real registry', () => {
  let registry: RegistryHandle
  let home: string
  beforeAll(async () => {
    registry = await startRegistry()
    home = await mkdtemp(path.join(os.tmpdir(), 'deps-catalog-'))
    await pushExtensions({
      config: new Session({env: {PROVISIONING_HOME: home, PROVISIONING_OCI__REGISTRY: registry.host}, cwd: home}).config,
      dirs: await exampleDirs(),
    })
  })
  afterAll(async () => {
    await registry.stop()
    await rm(home, {recursive: true, force: true})
  })

  it('reads tags, manifests and configs (never layers), then warm runs only list tags and offline runs nothing', async () => {
    const proxy = await startFaultProxy({target: registry.url})
    try {
      const settings = ociSettingsFrom(await new Session({env: {PROVISIONING_HOME: home, PROVISIONING_OCI__REGISTRY: proxy.host}, cwd: home}).config())
      const roots = [{name: 'k8s-basic'}, {name: 'containerd'}]
      const run = async (offline: boolean) => {
        const oci = new OciStores(settings)
        try {
          const catalog = await fetchRegistryCatalog(oci, {roots, registry: settings.registry, namespace: settings.namespace, concurrency: 4, offline})
          return resolve({
            catalog,
            roots: [
              {name: 'k8s-basic', range: '*', source: 'test'},
              {name: 'containerd', range: '1.6.9', source: 'test'},
            ],
            coreVersion: '0.1.0',
          })
        } finally {
          await oci.close()
        }
      }
      const cold = await run(false)
      expect(Object.fromEntries([...cold.selected].map(([n, v]) => [n, v.version]))).toMatchObject({
        kubernetes: '1.27.4',
        containerd: '1.6.9',
        cilium: '1.14.2',
        etcd: '3.5.9',
      })
      const coldRequests = proxy.requests.map((r) => `${r.method} ${r.path}`)
      expect(coldRequests.some((r) => /\/blobs\//.test(r))).toBe(true)
      const blobGets = coldRequests.filter((r) => r.includes('/blobs/') && !r.startsWith('HEAD'))
      // configs only: one per version of each reachable name (k8s-basic, cilium, kubernetes×2, containerd×3, etcd)
      expect(blobGets).toHaveLength(8)

      proxy.clear()
      const warm = await run(false)
      expect(warm.order).toEqual(cold.order)
      expect(proxy.requests.map((r) => `${r.method} ${r.path}`).filter((r) => r !== 'GET /v2/' && !r.endsWith('/tags/list?n=1000'))).toEqual([])

      proxy.clear()
      const offline = await run(true)
      expect(offline.order).toEqual(cold.order)
      expect(proxy.requests).toEqual([])
    } finally {
      await proxy.stop()
    }
  })
})
