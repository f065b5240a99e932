import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {installedStateFile, installPlan} from '../../../src/lib/deps/install.js'
import {lockAsidePathFor, lockDraftPathFor, parseLockDraftName, parseTempName, spoolPathIn, tempPathFor} from '../../../src/lib/util/temp-name.js'

describe('temp names', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'temp-name-'))
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('a built name parses back to its target and this process, a spool name to this process', () => {
    const temp = tempPathFor(path.join(dir, '.installed.json'))
    expect(path.dirname(temp)).toBe(dir)
    expect(parseTempName(path.basename(temp))).toEqual({target: '.installed.json', pid: process.pid})
    expect(parseTempName(path.basename(tempPathFor(path.join(dir, 'a.b.yaml'))))).toEqual({target: 'a.b.yaml', pid: process.pid})
    const spool = spoolPathIn(dir)
    expect(path.dirname(spool)).toBe(dir)
    expect(parseTempName(path.basename(spool))).toEqual({pid: process.pid})
  })

  it('lock drafts and moved-aside locks parse back to their lock file and this process (earlier drafts too)', () => {
    const lock = path.join(dir, 'workspace.lock')
    for (const built of [lockDraftPathFor(lock), lockAsidePathFor(lock)]) {
      expect(path.dirname(built)).toBe(dir)
      expect(parseLockDraftName(path.basename(built))).toEqual({lock: 'workspace.lock', pid: process.pid})
      // Not a renamed temp file: cleanup tells the two apart.
      expect(parseTempName(path.basename(built))).toBeUndefined()
    }
    expect(parseLockDraftName('.dep-resolve.lock.4242.k3j9x1')).toEqual({lock: '.dep-resolve.lock', pid: 4242})
    expect(parseLockDraftName('workspace.lock')).toBeUndefined()
    expect(parseLockDraftName('workspace.lock.abc.draft')).toBeUndefined()
  })

  it('two names for the same file differ', () => {
    const file = path.join(dir, 'provisioning.lock')
    expect(tempPathFor(file)).not.toBe(tempPathFor(file))
  })

  it('a foreign name is not one of ours', () => {
    for (const foreign of [
      'provisioning.lock',
      '.provisioning.lock.tmp',
      '.provisioning.lock.backup.tmp',
      '.provisioning.lock.123.xyz.tmp',
      'a.123.abcd.tmp',
      '.spool-abc-0123.tmp',
      'provisioning.lock.20241121.bak',
    ]) {
      expect(parseTempName(foreign), foreign).toBeUndefined()
    }
  })

  it('dep resolve removes a killed state write named by the helper and keeps a foreign file', async () => {
    const ours = tempPathFor(installedStateFile(dir))
    const foreign = path.join(dir, 'extensions', '.installed.json.backup.tmp')
    const otherTarget = tempPathFor(path.join(dir, 'extensions', 'notes.json'))
    await mkdir(path.join(dir, 'extensions'), {recursive: true})
    for (const file of [ours, foreign, otherTarget]) await writeFile(file, '{"partial"')

    await installPlan(dir, [], {async prefetch() {}, async install() {}})

    const left = await readdir(path.join(dir, 'extensions'))
    expect(left).not.toContain(path.basename(ours))
    expect(left).toEqual(expect.arrayContaining([path.basename(foreign), path.basename(otherTarget)]))
  })
})
