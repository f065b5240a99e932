import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {mkdir, mkdtemp, rename, rm, stat, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {folderFingerprint} from '../../../src/lib/extension/folder-fingerprint.js'

describe('folderFingerprint', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fingerprint-'))
    await mkdir(path.join(dir, 'scripts'))
    await writeFile(path.join(dir, 'manifest.yaml'), 'name: app\nversion: 1.0.0\n')
    await writeFile(path.join(dir, 'scripts', 'run.sh'), 'echo one\n')
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  const text = () => folderFingerprint(dir)?.text

  it('is the same while nothing changes, ignored files included', async () => {
    await writeFile(path.join(dir, '.provisioningignore'), '*.log\n')
    await writeFile(path.join(dir, 'debug.log'), 'x')
    expect(text()).toBeDefined()
    expect(text()).toBe(text())
  })

  it('changes with an edit that keeps the size and puts the old modification time back (the change time moves)', async () => {
    const file = path.join(dir, 'scripts', 'run.sh')
    const before = text()
    const saved = path.join(dir, '..', `${path.basename(dir)}-times`)
    await writeFile(saved, '')
    // touch -r copies the times to the nanosecond (utimes from JavaScript rounds them).
    execFileSync('touch', ['-r', file, saved])
    await writeFile(file, 'echo two\n')
    execFileSync('touch', ['-r', saved, file])
    expect((await stat(file, {bigint: true})).mtimeNs).toBe((await stat(saved, {bigint: true})).mtimeNs)
    await rm(saved)
    expect(text()).not.toBe(before)
  })

  it('changes when a file is added (ignored ones too), replaced by another inode, or a link is retargeted', async () => {
    let before = text()
    await writeFile(path.join(dir, 'debug.log'), '')
    expect(text()).not.toBe(before)

    before = text()
    await writeFile(path.join(dir, 'other.sh'), 'echo one\n')
    await rename(path.join(dir, 'other.sh'), path.join(dir, 'scripts', 'run.sh'))
    expect(text()).not.toBe(before)

    await symlink('run.sh', path.join(dir, 'scripts', 'link'))
    before = text()
    await rm(path.join(dir, 'scripts', 'link'))
    await symlink('manifest.yaml', path.join(dir, 'scripts', 'link'))
    expect(text()).not.toBe(before)
  })

  it('is not settled while an entry changed in the last two seconds', async () => {
    expect(folderFingerprint(dir)?.settled).toBe(false)
  })

  it('is undefined past 20,000 entries (the folder itself counted), counted while the folders are read', async () => {
    const many = path.join(dir, 'many')
    await mkdir(many)
    // The folder, manifest.yaml, scripts/, scripts/run.sh and many/: 19,995 more make 20,000.
    for (let i = 0; i < 19_995; i++) writeFileSync(path.join(many, `f${i}`), '')
    expect(folderFingerprint(dir)).toBeDefined()
    writeFileSync(path.join(many, 'one-more'), '')
    expect(folderFingerprint(dir)).toBeUndefined()
  }, 60_000)

  it('is undefined for a missing folder or a file', async () => {
    expect(folderFingerprint(path.join(dir, 'missing'))).toBeUndefined()
    expect(folderFingerprint(path.join(dir, 'manifest.yaml'))).toBeUndefined()
  })
})
