import {existsSync} from 'node:fs'
import {lstat, mkdir, readdir, readFile, readlink, rm, stat, truncate, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, runCli} from '../helpers/cli.js'
import {OCI_MANIFEST, writeOciLayout} from '../helpers/oci-layout.js'
import {blobPath, useRegistry} from '../helpers/registry.js'
import {pushArtifact} from '../helpers/registry-http.js'
import type {TarEntry} from '../helpers/tar.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'
import {type Descriptor, type ErrorDoc, type Manifest, sha256} from '../helpers/oci-types.js'

/**
 * SPEC §8.3 "Integrity" and "Extraction", end to end: the built CLI against a real
 * distribution registry (and a layout store), with content corrupted in the registry's own
 * storage, in the local cache and in the layout, and with hostile layer tarballs pushed
 * with correct digests. Corrupt or unsafe content is exit 8, is never cached, and leaves
 * no output folder, no temp folder and nothing outside them.
 */
const NAMESPACE = 'provisioning-extensions'
const CONFIG_MEDIA_TYPE = 'application/vnd.provisioning.extension.config.v1+json'
const ARTIFACT_TYPE = 'application/vnd.provisioning.extension.v1'

const hex = (digest: string) => digest.replace(/^sha256:/, '')

/** Same length, every byte different. */
const flipped = (data: Buffer) => Buffer.from(data.map((byte) => byte ^ 0xff))

/** The files of a small valid extension, with recognisable content. */
function extensionFiles(name: string, version = '1.0.0'): Record<string, string> {
  return {
    'manifest.yaml': `name: ${name}\ntype: taskserv\nversion: ${version}\ndescription: ${name} for integrity tests\nlicense: Apache-2.0\n`,
    [`kcl/${name}.k`]: `schema ${name.replace(/\W/g, '_')}:\n    version: str = "${version}"\n`,
    'scripts/install.sh': `#!/bin/sh\necho installing ${name} ${version}\n`,
  }
}

async function writeExtension(dir: string, name: string): Promise<Record<string, string>> {
  const files = extensionFiles(name)
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), {recursive: true})
    await writeFile(path.join(dir, file), content)
  }
  return files
}

function errorOf(result: CliResult): ErrorDoc['error'] {
  try {
    return (JSON.parse(result.stdout) as ErrorDoc).error
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.exitCode}):\n${result.stdout}\n--- stderr:\n${result.stderr}`)
  }
}

function expectExit(result: CliResult, code: number): void {
  if (result.exitCode !== code) throw new Error(`expected exit ${code}, got ${result.exitCode}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`)
}

/** Every path below `root` (lstat, never following links) with its kind, mode and content hash. */
async function snapshot(root: string, skip: (rel: string) => boolean = () => false): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (rel: string): Promise<void> => {
    const names = await readdir(path.join(root, rel)).catch(() => [] as string[])
    for (const name of names.sort()) {
      const child = rel ? `${rel}/${name}` : name
      if (skip(child)) continue
      const full = path.join(root, child)
      const info = await lstat(full)
      const mode = (info.mode & 0o7777).toString(8)
      if (info.isSymbolicLink()) out[child] = `symlink ${mode} -> ${await readlink(full)}`
      else if (info.isDirectory()) {
        out[child] = `dir ${mode}`
        await walk(child)
      } else if (info.isFile()) out[child] = `file ${mode} ${info.nlink} ${sha256(await readFile(full))}`
      else out[child] = `special ${mode}`
    }
  }
  await walk('')
  return out
}

/** Names of temp folders extraction leaves next to its output when something goes wrong. */
const LEFTOVER = /^\.[^/]*\.(extract|old)-/

describe('oci integrity and safe extraction (real registry, built CLI)', () => {
  const registry = useRegistry()
  let box: Sandbox
  let env: Record<string, string>
  const cacheFile = (digest: string) => path.join(box.home, 'cache', 'oci', 'blobs', 'sha256', hex(digest))

  beforeAll(async () => {
    box = await sandbox()
    env = {...box.env, PROVISIONING_OCI__REGISTRY: registry().host, PROVISIONING_OCI__TOOL: 'native'}
  })
  afterAll(async () => {
    await box?.cleanup()
  })

  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, {env: {...env, ...extraEnv}, cwd: box.root})

  /** Pushes a fresh extension with the CLI and returns its manifest as the registry serves it. */
  async function pushed(name: string): Promise<{manifest: Manifest; digest: string; files: Record<string, string>}> {
    const dir = path.join(box.root, 'src', name)
    const files = await writeExtension(dir, name)
    const push = await cli(['oci', 'push', dir, '--json'])
    expectExit(push, 0)
    const res = await fetch(`${registry().url}/v2/${NAMESPACE}/${name}/manifests/1.0.0`, {headers: {accept: OCI_MANIFEST}})
    expect(res.status).toBe(200)
    const bytes = Buffer.from(await res.arrayBuffer())
    expect(sha256(bytes)).toBe(JSON.parse(push.stdout).digest)
    return {manifest: JSON.parse(bytes.toString('utf8')) as Manifest, digest: sha256(bytes), files}
  }

  /** Seeds the registry directly over HTTP (no CLI) with an extension artifact. */
  async function seeded(name: string, annotations?: Record<string, string>): Promise<{manifest: Manifest; digest: string; files: Record<string, string>}> {
    const files = extensionFiles(name)
    const {manifest, digest} = await pushArtifact(registry().url, `${NAMESPACE}/${name}`, '1.0.0', {
      config: {name, type: 'taskserv', version: '1.0.0'},
      configMediaType: CONFIG_MEDIA_TYPE,
      artifactType: ARTIFACT_TYPE,
      layer: Object.entries(files).map(([file, content]) => ({name: file, content})),
      layerAnnotations: {'org.opencontainers.image.title': `${name}-1.0.0.tar.gz`},
      annotations,
    })
    return {manifest, digest, files}
  }

  async function expectNoOutput(output: string): Promise<void> {
    expect(existsSync(output)).toBe(false)
    const siblings = await readdir(path.dirname(output)).catch(() => [] as string[])
    expect(siblings.filter((name) => LEFTOVER.test(name))).toEqual([])
  }

  describe('content corrupted in the registry storage', () => {
    it('rejects a layer blob overwritten with different bytes of the same length (exit 8), caching and writing nothing', async () => {
      const {manifest} = await pushed('corrupt-layer')
      const layer = manifest.layers[0]
      const file = blobPath(registry(), layer.digest)
      const original = await readFile(file)
      await writeFile(file, flipped(original))
      expect((await stat(file)).size).toBe(layer.size)

      const output = path.join(box.root, 'pulls', 'corrupt-layer')
      const result = await cli(['oci', 'pull', 'corrupt-layer:1.0.0', '--output', output, '--json'])
      expectExit(result, 8)
      const error = errorOf(result)
      expect(error).toMatchObject({code: 'E_INTEGRITY', exit: 8})
      expect(error.message).toContain(layer.digest)
      expect(error.message).toMatch(/digest mismatch/)
      expect(existsSync(cacheFile(layer.digest))).toBe(false)
      await expectNoOutput(output)

      // The human form names the digest too, with a hint and no stack trace; an existing
      // output folder passed with --yes is left as it was.
      const existing = path.join(box.root, 'pulls', 'corrupt-layer-existing')
      await mkdir(existing, {recursive: true})
      await writeFile(path.join(existing, 'keep.txt'), 'keep me\n')
      const kept = await snapshot(existing)
      const human = await cli(['oci', 'pull', 'corrupt-layer:1.0.0', '--output', existing, '--yes'])
      expectExit(human, 8)
      expect(human.stderr).toContain(layer.digest)
      expect(human.stderr).toMatch(/Hint: /)
      expect(human.stderr).not.toMatch(/\n\s+at /)
      expect(existsSync(cacheFile(layer.digest))).toBe(false)
      expect(await snapshot(existing)).toEqual(kept)
      expect((await readdir(path.dirname(existing))).filter((name) => LEFTOVER.test(name))).toEqual([])
    })

    it('rejects a truncated layer blob (exit 8), caching and writing nothing', async () => {
      const {manifest} = await seeded('truncated-layer')
      const layer = manifest.layers[0]
      await truncate(blobPath(registry(), layer.digest), Math.floor(layer.size / 2))

      const output = path.join(box.root, 'pulls', 'truncated-layer')
      const result = await cli(['oci', 'pull', 'truncated-layer:1.0.0', '--output', output, '--json'])
      expectExit(result, 8)
      const error = errorOf(result)
      expect(error.code).toBe('E_INTEGRITY')
      expect(error.message).toContain(layer.digest)
      expect(existsSync(cacheFile(layer.digest))).toBe(false)
      await expectNoOutput(output)
    })

    it('rejects a corrupted config blob (exit 8) before touching the layer', async () => {
      const {manifest} = await seeded('corrupt-config')
      const {config, layers} = manifest
      const file = blobPath(registry(), config.digest)
      await writeFile(file, flipped(await readFile(file)))

      const output = path.join(box.root, 'pulls', 'corrupt-config')
      for (const command of [
        ['oci', 'pull', 'corrupt-config:1.0.0', '--output', output, '--json'],
        ['oci', 'inspect', 'corrupt-config:1.0.0', '--json'],
      ]) {
        const result = await cli(command)
        expectExit(result, 8)
        expect(errorOf(result).code).toBe('E_INTEGRITY')
        expect(errorOf(result).message).toContain(config.digest)
      }
      expect(existsSync(cacheFile(config.digest))).toBe(false)
      expect(existsSync(cacheFile(layers[0].digest))).toBe(false)
      await expectNoOutput(output)
    })

    it('rejects a manifest whose stored bytes no longer match its digest (exit 8)', async () => {
      // Same length and still valid JSON, so the registry serves it under the old digest.
      const {manifest, digest} = await seeded('corrupt-manifest', {'org.opencontainers.image.description': 'lowercase description'})
      const file = blobPath(registry(), digest)
      const text = await readFile(file, 'utf8')
      expect(text).toContain('lowercase description')
      await writeFile(file, text.replace('lowercase description', 'UPPERCASE DESCRIPTION'))

      const output = path.join(box.root, 'pulls', 'corrupt-manifest')
      const result = await cli(['oci', 'pull', 'corrupt-manifest:1.0.0', '--output', output, '--json'])
      expectExit(result, 8)
      const error = errorOf(result)
      expect(error.code).toBe('E_INTEGRITY')
      expect(error.message).toContain(digest)
      expect(existsSync(cacheFile(manifest.config.digest))).toBe(false)
      expect(existsSync(cacheFile(manifest.layers[0].digest))).toBe(false)
      await expectNoOutput(output)
    })
  })

  it('drops a cache entry corrupted on disk, refetches it and pulls the right content', async () => {
    const {manifest, files} = await seeded('cached')
    const layer = manifest.layers[0]
    const output = path.join(box.root, 'pulls', 'cached')
    const first = await cli(['oci', 'pull', 'cached:1.0.0', '--output', output, '--json'])
    expectExit(first, 0)
    expect(JSON.parse(first.stdout).cached).toBe(false)
    const goodLayer = await readFile(cacheFile(layer.digest))
    expect(sha256(goodLayer)).toBe(layer.digest)
    expect(sha256(await readFile(cacheFile(manifest.config.digest)))).toBe(manifest.config.digest)

    // Layer: same length, different bytes. Config: truncated.
    await writeFile(cacheFile(layer.digest), flipped(goodLayer))
    await truncate(cacheFile(manifest.config.digest), 3)
    await rm(output, {recursive: true})

    const second = await cli(['oci', 'pull', 'cached:1.0.0', '--output', output, '--json'])
    expectExit(second, 0)
    expect(JSON.parse(second.stdout)).toMatchObject({cached: false, name: 'cached', version: '1.0.0'})
    for (const [file, content] of Object.entries(files)) expect(await readFile(path.join(output, file), 'utf8')).toBe(content)
    expect(sha256(await readFile(cacheFile(layer.digest)))).toBe(layer.digest)
    expect(sha256(await readFile(cacheFile(manifest.config.digest)))).toBe(manifest.config.digest)

    // The repaired entry is used again: nothing needs the registry's layer any more.
    await writeFile(blobPath(registry(), layer.digest), flipped(goodLayer))
    const third = await cli(['oci', 'pull', 'cached:1.0.0', '--output', output, '--yes', '--json'])
    expectExit(third, 0)
    expect(JSON.parse(third.stdout).cached).toBe(true)
    for (const [file, content] of Object.entries(files)) expect(await readFile(path.join(output, file), 'utf8')).toBe(content)
    expect((await readdir(path.dirname(output))).filter((name) => LEFTOVER.test(name))).toEqual([])
  })

  describe('hostile layer tarballs (correct digests, our media types)', () => {
    const evilRoot = () => path.join(box.root, 'evil')
    const FORBIDDEN = new Set(['x', 'pwned', 'outside', 'link', 'abs-pwned', 'passwd', 'null', 'zeros'])
    let passwdLinks: number

    const cases: Array<[string, () => TarEntry[]]> = [
      [
        'dotdot',
        () => [
          {name: 'manifest.yaml', content: 'name: evil\n'},
          {name: '../x', content: 'pwned\n'},
        ],
      ],
      // An absolute path inside the sandbox: a careless extractor would write exactly there
      // (or, stripping the "/", below the output folder); both are detected.
      [
        'absolute',
        () => [
          {name: 'manifest.yaml', content: 'name: evil\n'},
          {name: path.join(evilRoot(), 'absolute', 'abs-pwned'), content: 'pwned\n'},
        ],
      ],
      [
        'symlink',
        () => [
          {name: 'link', type: 'symlink', linkname: '../../outside'},
          {name: 'link/pwned', content: 'pwned\n'},
        ],
      ],
      [
        'hardlink',
        () => [
          {name: 'manifest.yaml', content: 'name: evil\n'},
          {name: 'passwd', type: 'hardlink', linkname: '/etc/passwd'},
        ],
      ],
      [
        'chardev',
        () => [
          {name: 'manifest.yaml', content: 'name: evil\n'},
          {name: 'null', type: 'chardev'},
        ],
      ],
      ['bomb', () => [{name: 'zeros', content: Buffer.alloc(100 * 1024 * 1024)}]],
    ]

    beforeAll(async () => {
      passwdLinks = (await stat('/etc/passwd')).nlink
      await Promise.all(
        cases.map(async ([name, layer]) => {
          const entries = layer()
          const {manifest} = await pushArtifact(registry().url, `${NAMESPACE}/evil-${name}`, '1.0.0', {
            config: {name: `evil-${name}`, type: 'taskserv', version: '1.0.0'},
            configMediaType: CONFIG_MEDIA_TYPE,
            artifactType: ARTIFACT_TYPE,
            layer: entries,
            layerAnnotations: {'org.opencontainers.image.title': `evil-${name}-1.0.0.tar.gz`},
          })
          if (name === 'bomb') {
            // Sanity: the bomb really is one (100 MiB from about 100 KiB).
            const uncompressed = entries.reduce((sum, e) => sum + Buffer.byteLength(e.content ?? ''), 0)
            expect(uncompressed / manifest.layers[0].size).toBeGreaterThan(1000)
          }
          await mkdir(path.join(evilRoot(), name), {recursive: true})
        }),
      )
    })

    it.each(cases.map(([name]) => name))('%s: exit 8, no output, no temp leftovers, nothing written anywhere', async (name) => {
      const caseRoot = path.join(evilRoot(), name)
      // Nested, so that every escape the archive tries (../x, ../../outside) lands in caseRoot.
      const output = path.join(caseRoot, 'a', 'b', 'out')
      const before = await snapshot(caseRoot)
      const fresh = await cli(['oci', 'pull', `evil-${name}:1.0.0`, '--output', output, '--json'])
      expectExit(fresh, 8)
      const error = errorOf(fresh)
      expect(error.code).toBe('E_INTEGRITY')
      expect(error.message).toMatch(name === 'bomb' ? /decompression bomb/ : /unsafe archive entry/)
      await expectNoOutput(output)
      // The parents extraction had to create are gone again.
      expect(await snapshot(caseRoot)).toEqual(before)

      // A pre-existing output folder replaced with --yes is left exactly as it was.
      const existing = path.join(caseRoot, 'kept')
      await mkdir(path.join(existing, 'sub'), {recursive: true})
      await writeFile(path.join(existing, 'keep.txt'), 'keep me\n')
      await writeFile(path.join(existing, 'sub', 'nested.txt'), 'nested\n')
      const kept = await snapshot(existing)
      const replace = await cli(['oci', 'pull', `evil-${name}:1.0.0`, '--output', existing, '--yes', '--json'])
      expectExit(replace, 8)
      expect(errorOf(replace).code).toBe('E_INTEGRITY')
      expect(await snapshot(existing)).toEqual(kept)
      expect((await readdir(caseRoot)).filter((entry) => LEFTOVER.test(entry))).toEqual([])
    })

    it('an artifact naming itself "../…" never gets a folder outside the output (exit 8); a bad title annotation is ignored', async () => {
      // The name names the output folder when none is given (`oci pull REF`, and every
      // artifact of a batch pull); it comes from the config or, for ours, the annotations.
      const files = extensionFiles('named')
      const layer = Object.entries(files).map(([name, content]) => ({name, content}))
      await pushArtifact(registry().url, `${NAMESPACE}/evil-name`, '1.0.0', {
        config: {name: '../escaped-name', type: 'taskserv', version: '1.0.0'},
        configMediaType: CONFIG_MEDIA_TYPE,
        artifactType: ARTIFACT_TYPE,
        layer,
      })
      await pushArtifact(registry().url, `${NAMESPACE}/evil-title`, '1.0.0', {
        config: {name: 'evil-title', type: 'taskserv', version: '1.0.0'},
        configMediaType: CONFIG_MEDIA_TYPE,
        artifactType: ARTIFACT_TYPE,
        layer,
        annotations: {'org.opencontainers.image.title': '../escaped-title', 'org.opencontainers.image.version': '1.0.0'},
      })
      const caseRoot = path.join(evilRoot(), 'names', 'a', 'b')
      await mkdir(caseRoot, {recursive: true})
      const before = await snapshot(path.join(evilRoot(), 'names'))
      for (const args of [
        ['oci', 'pull', 'evil-name:1.0.0', '--json'],
        ['oci', 'pull', 'evil-name:1.0.0', 'evil-title:1.0.0', '--output', 'batch', '--json'],
      ]) {
        const result = await runCli(args, {env, cwd: caseRoot})
        expectExit(result, 8)
        expect(errorOf(result)).toMatchObject({code: 'E_INTEGRITY'})
        expect(errorOf(result).message).toContain('../escaped-name')
      }
      const single = await runCli(['oci', 'pull', 'evil-title:1.0.0', '--json'], {env, cwd: caseRoot})
      expectExit(single, 0)
      expect(JSON.parse(single.stdout)).toMatchObject({name: 'evil-title', output: path.join(caseRoot, 'evil-title')})
      await rm(path.join(caseRoot, 'evil-title'), {recursive: true})
      await rm(path.join(caseRoot, 'batch'), {recursive: true, force: true})
      expect(await snapshot(path.join(evilRoot(), 'names'))).toEqual(before)
    })

    it('an artifact that names nothing (an OCI layout, an empty config) unpacks into ./<layout folder> or ./extension, never into the current folder', async () => {
      const caseRoot = path.join(evilRoot(), 'nameless')
      const cwd = path.join(caseRoot, 'cwd')
      await mkdir(cwd, {recursive: true})
      await writeFile(path.join(cwd, 'precious.txt'), 'keep me\n')
      const layer = Object.entries(extensionFiles('nameless')).map(([name, content]) => ({name, content}))
      // Like `oras push` with its default empty config: our artifact type, no config of ours, no annotations.
      const empty = {config: '{}', configMediaType: 'application/vnd.oci.empty.v1+json', artifactType: ARTIFACT_TYPE, tag: '1.0.0', layer}
      await writeOciLayout(path.join(caseRoot, 'plainname'), empty)
      await writeOciLayout(path.join(caseRoot, 'Not A Name'), empty)
      const named = await runCli(['oci', 'pull', `oci-layout://${path.join(caseRoot, 'plainname')}:1.0.0`, '--yes', '--json'], {env, cwd})
      expectExit(named, 0)
      expect(JSON.parse(named.stdout)).toMatchObject({name: 'plainname', output: path.join(cwd, 'plainname')})
      const unnamed = await runCli(['oci', 'pull', `oci-layout://${path.join(caseRoot, 'Not A Name')}:1.0.0`, '--yes', '--json'], {env, cwd})
      expectExit(unnamed, 0)
      expect(JSON.parse(unnamed.stdout)).toMatchObject({name: 'extension', output: path.join(cwd, 'extension')})
      expect(await readFile(path.join(cwd, 'precious.txt'), 'utf8')).toBe('keep me\n')
      expect((await readdir(cwd)).sort()).toEqual(['extension', 'plainname', 'precious.txt'])
    })

    it('our annotations name the extension without reading the config blob', async () => {
      // A damaged config fails inspect (it reads the config), not a pull that does not need it.
      const {manifest} = await seeded('annotated', {'org.opencontainers.image.title': 'annotated', 'org.opencontainers.image.version': '1.0.0'})
      const file = blobPath(registry(), manifest.config.digest)
      await writeFile(file, flipped(await readFile(file)))
      const cwd = path.join(evilRoot(), 'annotated')
      await mkdir(cwd, {recursive: true})
      const pulled = await runCli(['oci', 'pull', 'annotated:1.0.0', '--json'], {env, cwd})
      expectExit(pulled, 0)
      expect(JSON.parse(pulled.stdout)).toMatchObject({name: 'annotated', version: '1.0.0', output: path.join(cwd, 'annotated')})
      expectExit(await cli(['oci', 'inspect', 'annotated:1.0.0', '--json']), 8)
    })

    it('left nothing any archive named anywhere in the sandbox, and no link to /etc/passwd', async () => {
      // The registry storage is outside the sandbox, so every name found here was written by a pull.
      const everything = await snapshot(box.root)
      const names = Object.keys(everything).map((rel) => rel.split('/').pop() as string)
      expect(names.filter((name) => FORBIDDEN.has(name) || LEFTOVER.test(name))).toEqual([])
      expect((await stat('/etc/passwd')).nlink).toBe(passwdLinks)
    })
  })

  describe('layout store (oci-layout://)', () => {
    let layoutEnv: Record<string, string>
    let store: string
    const repoDir = (name: string) => path.join(store, NAMESPACE, name)
    const layoutBlob = (name: string, digest: string) => path.join(repoDir(name), 'blobs', 'sha256', hex(digest))

    beforeAll(() => {
      store = path.join(box.root, 'store')
      layoutEnv = {PROVISIONING_OCI__REGISTRY: `oci-layout://${store}`}
    })

    async function pushedToLayout(name: string): Promise<{manifest: Manifest; digest: string}> {
      const dir = path.join(box.root, 'src', name)
      await writeExtension(dir, name)
      expectExit(await cli(['oci', 'push', dir, '--json'], layoutEnv), 0)
      const index = JSON.parse(await readFile(path.join(repoDir(name), 'index.json'), 'utf8')) as {manifests: Descriptor[]}
      const {digest} = index.manifests[0]
      return {manifest: JSON.parse(await readFile(layoutBlob(name, digest), 'utf8')) as Manifest, digest}
    }

    it('rejects a corrupted layer blob file in the store (exit 8), caching and writing nothing', async () => {
      const {manifest} = await pushedToLayout('layout-layer')
      const layer = manifest.layers[0]
      const file = layoutBlob('layout-layer', layer.digest)
      await writeFile(file, flipped(await readFile(file)))
      const output = path.join(box.root, 'pulls', 'layout-layer')
      const result = await cli(['oci', 'pull', 'layout-layer:1.0.0', '--output', output, '--json'], layoutEnv)
      expectExit(result, 8)
      expect(errorOf(result).code).toBe('E_INTEGRITY')
      expect(errorOf(result).message).toContain(layer.digest)
      expect(existsSync(cacheFile(layer.digest))).toBe(false)
      await expectNoOutput(output)
    })

    it('rejects a corrupted manifest blob file in the store (exit 8)', async () => {
      const {manifest, digest} = await pushedToLayout('layout-manifest')
      const file = layoutBlob('layout-manifest', digest)
      await writeFile(file, (await readFile(file, 'utf8')).replace('layout-manifest', 'LAYOUT-MANIFEST'))
      const output = path.join(box.root, 'pulls', 'layout-manifest')
      const result = await cli(['oci', 'pull', 'layout-manifest:1.0.0', '--output', output, '--json'], layoutEnv)
      expectExit(result, 8)
      expect(errorOf(result).code).toBe('E_INTEGRITY')
      expect(errorOf(result).message).toContain(digest)
      expect(existsSync(cacheFile(manifest.layers[0].digest))).toBe(false)
      await expectNoOutput(output)
    })
  })
})
