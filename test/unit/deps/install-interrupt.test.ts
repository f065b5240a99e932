import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {extensionDir, type Installer, installPlan} from '../../../src/lib/deps/install.js'
import type {PlannedExtension} from '../../../src/lib/deps/plan.js'

/**
 * The window a random kill rarely hits: the new folder is swapped in, the process dies
 * before the state file records it. The next run, even for the previous declaration,
 * must not trust the old record over the new files.
 */
const planned = (version: string): PlannedExtension => ({
  name: 'demo',
  type: 'taskserv',
  version,
  reference: `r/demo:${version}`,
  digest: `sha256:${version.replaceAll('.', '').padStart(64, '0')}`,
  dependencies: {},
  optional: {},
  origin: {kind: 'local', dir: '/nowhere'},
})

/** Writes a folder whose manifest says the version; `dieAfterSwap` simulates SIGKILL right after the rename. */
function installer(dieAfterSwap = false): Installer {
  return {
    async prefetch() {},
    async install(extension, target) {
      await mkdir(target, {recursive: true})
      await writeFile(path.join(target, 'manifest.yaml'), `name: demo\nversion: ${extension.version}\n`)
      if (dieAfterSwap) throw new Error('SIGKILL')
    },
  }
}

describe('installPlan after a run killed between the swap and the state write', () => {
  let ws: string
  beforeEach(async () => {
    ws = await mkdtemp(path.join(os.tmpdir(), 'install-interrupt-'))
  })
  afterEach(() => rm(ws, {recursive: true, force: true}))

  it('reinstalls the old version when the declaration goes back', async () => {
    await installPlan(ws, [planned('1.0.0')], installer())
    await expect(installPlan(ws, [planned('2.0.0')], installer(true))).rejects.toThrow('SIGKILL')
    const manifest = path.join(extensionDir(ws, 'taskserv', 'demo'), 'manifest.yaml')
    expect(await readFile(manifest, 'utf8')).toContain('2.0.0')

    const report = await installPlan(ws, [planned('1.0.0')], installer())
    expect(report.installed).toEqual(['demo'])
    expect(await readFile(manifest, 'utf8')).toContain('1.0.0')
  })

  it('removes a half-recorded extension that is no longer wanted', async () => {
    await expect(installPlan(ws, [planned('1.0.0')], installer(true))).rejects.toThrow('SIGKILL')
    const report = await installPlan(ws, [], installer())
    expect(report.removed).toEqual(['demo'])
  })
})
