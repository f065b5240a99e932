import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {lstat, mkdir, readdir} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, type ErrorDoc} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {pushArtifact} from '../helpers/registry-http.js'
import type {TarEntry} from '../helpers/tar.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * Archives that are not unsafe in the classic sense (no `..`, no links out) but still must
 * not install (issue 10): a name the file system cannot take, no manifest.yaml at the root;
 * and modes that would make an installed extension writable by everyone. Pushed raw to a
 * real registry, then taken by `oci pull` and by `dep resolve`.
 */
const NAMESPACE = 'provisioning-extensions'
const LONG = 'n'.repeat(300)
/** Folders extraction leaves next to its target when something goes wrong. */
const LEFTOVER = /^\.[^/]*\.(extract|old)-/

const manifestOf = (name: string) => ({name: 'manifest.yaml', content: `name: ${name}\ntype: taskserv\nversion: 1.0.0\n`})

const ARTIFACTS: Record<string, () => TarEntry[]> = {
  longname: () => [manifestOf('longname'), {name: `docs/${LONG}`, content: 'x\n'}],
  nomanifest: () => [
    {name: 'kcl/nomanifest.k', content: 'schema X:\n'},
    {name: 'scripts/install.sh', content: '#!/bin/sh\n', mode: 0o755},
  ],
  // Large enough (incompressible) to be streamed and cached in one pass by `oci pull`.
  bignomanifest: () => [
    {name: 'bignomanifest/manifest.yaml', content: 'name: bignomanifest\n'},
    {name: 'bignomanifest/blob.bin', content: randomBytes(5 * 1024 * 1024)},
  ],
  openmodes: () => [
    manifestOf('openmodes'),
    {name: 'scripts/', type: 'dir', mode: 0o777},
    {name: 'scripts/run.sh', content: '#!/bin/sh\n', mode: 0o777},
    {name: 'scripts/setuid.sh', content: '#!/bin/sh\n', mode: 0o4775},
    {name: 'shared/', type: 'dir', mode: 0o1777},
  ],
}

describe('archives that must not install (real registry, built CLI)', () => {
  let registry: RegistryHandle
  let box: Sandbox
  let env: Record<string, string>
  const layerDigests: Record<string, string> = {}
  const cacheHas = (name: string) => existsSync(path.join(box.home, 'cache', 'oci', 'blobs', 'sha256', layerDigests[name].replace(/^sha256:/, '')))

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    env = {...box.env, PROVISIONING_OCI__REGISTRY: registry.host, PROVISIONING_OCI__TOOL: 'native'}
    for (const [name, layer] of Object.entries(ARTIFACTS)) {
      const {manifest} = await pushArtifact(registry.url, `${NAMESPACE}/${name}`, '1.0.0', {
        config: {name, type: 'taskserv', version: '1.0.0'},
        configMediaType: 'application/vnd.provisioning.extension.config.v1+json',
        artifactType: 'application/vnd.provisioning.extension.v1',
        layer: layer(),
        layerAnnotations: {'org.opencontainers.image.title': `${name}-1.0.0.tar.gz`},
      })
      layerDigests[name] = manifest.layers[0].digest
    }
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  async function pull(name: string, cwd: string): Promise<CliResult> {
    await mkdir(cwd, {recursive: true})
    return runCli(['oci', 'pull', `${name}:1.0.0`, '--json'], {env, cwd})
  }

  function integrityError(result: CliResult): ErrorDoc['error'] {
    expect(result.exitCode, result.stdout + result.stderr).toBe(8)
    const {error} = json<ErrorDoc>(result)
    expect(error).toMatchObject({code: 'E_INTEGRITY', exit: 8})
    return error
  }

  it('oci pull: an entry name of 300 characters is exit 8 naming the entry; nothing is left behind', async () => {
    const cwd = path.join(box.root, 'pull-long')
    const error = integrityError(await pull('longname', cwd))
    expect(error.message).toContain(`unsafe archive entry "docs/${LONG}"`)
    expect(error.message).toContain('longer than 255 bytes')
    expect(await readdir(cwd)).toEqual([])
    // Refused content is not kept, even though its digest checked out.
    expect(cacheHas('longname')).toBe(false)
  })

  it('oci pull: no manifest.yaml at the archive root is exit 8 naming the output and what was found; nothing left, the streamed layer not cached', async () => {
    const cwd = path.join(box.root, 'pull-nomanifest')
    const error = integrityError(await pull('nomanifest', cwd))
    expect(error.message).toContain(`archive for ${path.join(cwd, 'nomanifest')} has no manifest.yaml at its root`)
    const big = integrityError(await pull('bignomanifest', cwd))
    expect(big.message).toContain(`archive for ${path.join(cwd, 'bignomanifest')} has no manifest.yaml`)
    expect(big.hint).toContain('it has bignomanifest/manifest.yaml: entries must be relative to the extension folder')
    expect(await readdir(cwd)).toEqual([])
    expect(cacheHas('nomanifest')).toBe(false)
    expect(cacheHas('bignomanifest')).toBe(false)
  })

  it('oci pull: group/world write and setuid/setgid/sticky bits are dropped', async () => {
    const cwd = path.join(box.root, 'pull-modes')
    const result = await pull('openmodes', cwd)
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    const mode = async (rel: string) => ((await lstat(path.join(cwd, 'openmodes', rel))).mode & 0o7777).toString(8)
    expect(await Promise.all(['scripts', 'scripts/run.sh', 'scripts/setuid.sh', 'shared', 'manifest.yaml'].map(mode))).toEqual([
      '755',
      '755',
      '755',
      '755',
      '644',
    ])
  })

  it('dep resolve: both archives are refused with exit 8, nothing installed and no temp folder left, on every run', async () => {
    const ws = await bareWorkspace(box.root, 'ws')
    const taskservs = path.join(ws, 'extensions', 'taskservs')
    for (const [name, expected] of [
      ['nomanifest', `archive for ${path.join(taskservs, 'nomanifest')} has no manifest.yaml at its root`],
      ['longname', `unsafe archive entry "docs/${LONG}"`],
    ]) {
      await declare(ws, {registry: registry.host}, {taskservs: [`${name}:1.0.0`]})
      for (let run = 0; run < (name === 'nomanifest' ? 2 : 1); run++) {
        const error = integrityError(await depResolve(ws, box.env, ['--json']))
        expect(error.message).toContain(expected)
        // The message starts with the artifact, not only the folder it was unpacked into.
        expect(error.message.startsWith(`${name}@1.0.0 (${registry.host}/${NAMESPACE}/${name}:1.0.0): `)).toBe(true)
        expect(await readdir(taskservs)).toEqual([])
        expect(cacheHas(name)).toBe(false)
      }
    }
    const all = await readdir(path.join(ws, 'extensions'), {recursive: true})
    expect(all.filter((entry) => LEFTOVER.test(path.basename(entry)))).toEqual([])
  })
})
