import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, repoRoot, runCli} from '../helpers/cli.js'
import {sha256} from '../helpers/oci-layout.js'
import {useRegistry} from '../helpers/registry.js'
import {pushArtifact} from '../helpers/registry-http.js'
import {skopeoCopy, skopeoInspectRaw} from '../helpers/skopeo.js'
import type {TarEntry} from '../helpers/tar.js'
import {readTree} from '../helpers/tree.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * skopeo as the independent reader and writer: what the CLI pushes, skopeo reads byte for
 * byte; what skopeo copies (out of our layout store, or into a layout of its own) the CLI
 * pulls; artifacts made by a third party in the same format, with extras, are accepted.
 */
const REDIS = path.join(repoRoot, 'templates/examples/taskservs/redis/7.2.0')
const NS = 'provisioning-extensions'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const ARTIFACT_TYPE = 'application/vnd.provisioning.extension.v1'
const CONFIG_TYPE = 'application/vnd.provisioning.extension.config.v1+json'
const TITLE = 'org.opencontainers.image.title'

interface InspectJson {
  digest: string
  size: number
  mediaType: string
  artifactType: string
  config: {mediaType: string; digest: string; size: number}
  layers: Array<{mediaType: string; digest: string; size: number; annotations?: Record<string, string>}>
  annotations: Record<string, string>
  extension: Record<string, unknown>
}

function expectExit(result: CliResult, code: number): CliResult {
  if (result.exitCode !== code) throw new Error(`expected exit ${code}, got ${result.exitCode}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  return result
}
const ok = (result: CliResult) => expectExit(result, 0)

describe('interop with skopeo', () => {
  const registry = useRegistry()
  let box: Sandbox
  let env: Record<string, string | undefined>
  let layoutEnv: Record<string, string | undefined>
  let storeDir: string

  const cliJson = async <T>(args: string[], extra: Record<string, string | undefined> = env) => json<T>(ok(await runCli([...args, '--json'], {env: extra})))

  beforeAll(async () => {
    box = await sandbox()
    storeDir = path.join(box.root, 'store')
    env = {...box.env, PROVISIONING_OCI__REGISTRY: registry().host, SOURCE_DATE_EPOCH: undefined, REGISTRY_AUTH_FILE: undefined}
    layoutEnv = {...env, PROVISIONING_OCI__REGISTRY: `oci-layout://${storeDir}`}
  })
  afterAll(async () => {
    await box?.cleanup()
  })

  it('skopeo reads what we push byte for byte and copies it into an OCI layout we can pull from', async () => {
    const pushed = await cliJson<{digest: string}>(['oci', 'push', REDIS])
    const inspected = await cliJson<InspectJson>(['oci', 'inspect', 'redis:7.2.0'])
    expect(inspected.digest).toBe(pushed.digest)

    const source = `docker://${registry().host}/${NS}/redis:7.2.0`
    const raw = await skopeoInspectRaw(source)
    expect(sha256(raw)).toBe(inspected.digest)
    expect(Buffer.byteLength(raw)).toBe(inspected.size)
    expect(JSON.parse(raw)).toEqual({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: ARTIFACT_TYPE,
      config: inspected.config,
      layers: inspected.layers,
      annotations: inspected.annotations,
    })

    const pkg = await cliJson<{path: string; digest: string}>(['oci', 'package', REDIS, '--output', path.join(box.root, 'pkg')])
    expect(path.basename(pkg.path)).toBe('redis-7.2.0.tar.gz')
    const tarball = await readFile(pkg.path)
    expect(sha256(tarball)).toBe(inspected.layers[0].digest)

    const copied = path.join(box.root, 'skopeo-layout')
    await skopeoCopy(source, `oci:${copied}:7.2.0`, {src: {tlsVerify: false}})
    const index = JSON.parse(await readFile(path.join(copied, 'index.json'), 'utf8')) as {manifests: Array<{digest: string}>}
    expect(index.manifests.map((m) => m.digest)).toEqual([inspected.digest])
    expect(await readFile(path.join(copied, 'blobs/sha256', inspected.layers[0].digest.slice(7)))).toEqual(tarball)

    // The layout skopeo wrote is itself a source the CLI reads (oci-layout://DIR:tag).
    const out = path.join(box.root, 'from-skopeo-layout')
    const pulled = await cliJson<{digest: string}>(['oci', 'pull', `oci-layout://${copied}:7.2.0`, '--output', out])
    expect(pulled.digest).toBe(inspected.digest)
    expect(await readTree(out)).toEqual(await readTree(REDIS))
  })

  it('skopeo reads our layout store directly and pushes from it; we pull the result', async () => {
    const pushed = await cliJson<{digest: string}>(['oci', 'push', REDIS], layoutEnv)
    const layoutRef = `oci:${path.join(storeDir, NS, 'redis')}:7.2.0`
    expect(sha256(await skopeoInspectRaw(layoutRef))).toBe(pushed.digest)

    const target = `docker://${registry().host}/skopeo/redis:7.2.0`
    await skopeoCopy(layoutRef, target, {dest: {tlsVerify: false}})
    expect(sha256(await skopeoInspectRaw(target))).toBe(pushed.digest)

    const out = path.join(box.root, 'from-skopeo-push')
    const pulled = await cliJson<{digest: string; name: string; version: string}>([
      'oci',
      'pull',
      `oci://${registry().host}/skopeo/redis:7.2.0`,
      '--output',
      out,
    ])
    expect(pulled).toMatchObject({digest: pushed.digest, name: 'redis', version: '7.2.0'})
    expect(await readTree(out)).toEqual(await readTree(REDIS))
  })

  const thirdPartyLayer: TarEntry[] = [
    {name: 'manifest.yaml', content: 'name: extras\ntype: taskserv\nversion: 2.0.0\ndescription: Made elsewhere\n'},
    {name: 'scripts/', type: 'dir', mode: 0o755},
    {name: 'scripts/install.sh', content: '#!/bin/sh\necho extras\n', mode: 0o755},
    {name: 'docs/', type: 'dir', mode: 0o755},
    {name: 'docs/README.md', content: '# extras\n', mode: 0o644},
  ]
  const expectThirdPartyTree = async (dir: string) => {
    const tree = await readTree(dir)
    expect(Object.keys(tree).sort()).toEqual(['docs', 'docs/README.md', 'manifest.yaml', 'scripts', 'scripts/install.sh'])
    expect(tree['manifest.yaml'].content?.toString()).toBe(thirdPartyLayer[0].content)
    expect(tree['scripts/install.sh']).toMatchObject({mode: '755', content: Buffer.from('#!/bin/sh\necho extras\n')})
    expect(tree['docs/README.md']).toMatchObject({mode: '644', content: Buffer.from('# extras\n')})
  }

  it('pulls an artifact a third party pushed in the same format, with extra annotations and config fields', async () => {
    const pushed = await pushArtifact(registry().url, 'thirdparty/extras', '2.0.0', {
      artifactType: ARTIFACT_TYPE,
      configMediaType: CONFIG_TYPE,
      config: {
        name: 'extras',
        type: 'taskserv',
        version: '2.0.0',
        description: 'Made elsewhere',
        'x-vendor': {pipeline: 'ci-42', signed: true},
        buildTimestamp: '2024-05-01T12:00:00Z',
      },
      layer: thirdPartyLayer,
      layerAnnotations: {[TITLE]: 'extras-2.0.0.tar.gz', 'com.example.scanned': 'true'},
      annotations: {
        'org.opencontainers.image.created': '2024-05-01T12:00:00Z',
        'org.opencontainers.image.version': '2.0.0',
        'com.example.pipeline': 'ci-42',
      },
    })
    const ref = `oci://${registry().host}/thirdparty/extras:2.0.0`
    const inspected = await cliJson<InspectJson>(['oci', 'inspect', ref])
    expect(inspected.digest).toBe(pushed.digest)
    expect(inspected.annotations).toMatchObject({'com.example.pipeline': 'ci-42', 'org.opencontainers.image.created': '2024-05-01T12:00:00Z'})
    expect(inspected.extension).toMatchObject({name: 'extras', version: '2.0.0', 'x-vendor': {pipeline: 'ci-42', signed: true}})

    const out = path.join(box.root, 'third-party')
    const pulled = await cliJson<{digest: string; name: string; version: string}>(['oci', 'pull', ref, '--output', out])
    expect(pulled).toMatchObject({digest: pushed.digest, name: 'extras', version: '2.0.0'})
    await expectThirdPartyTree(out)
  })

  it('pulls a third-party artifact without artifactType (config media type only, older tools)', async () => {
    const pushed = await pushArtifact(registry().url, 'legacy/extras', '2.0.0', {
      configMediaType: CONFIG_TYPE,
      config: {name: 'extras', type: 'taskserv', version: '2.0.0', description: 'Made elsewhere', 'x-vendor': {pipeline: 'ci-43'}},
      layer: thirdPartyLayer,
      layerAnnotations: {[TITLE]: 'extras-2.0.0.tar.gz'},
    })
    const out = path.join(box.root, 'third-party-old')
    const pulled = await cliJson<{digest: string; name: string}>(['oci', 'pull', `oci://${registry().host}/legacy/extras:2.0.0`, '--output', out])
    expect(pulled).toMatchObject({digest: pushed.digest, name: 'extras'})
    await expectThirdPartyTree(out)
  })
})
