import {lstat, readdir} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {extractArchive} from '../../../src/lib/extension/extract.js'
import {currentUmask} from '../../../src/lib/extension/umask.js'
import {expectProvisioningError, makeTempDir, rawTarGz} from './helpers.js'

/**
 * Extraction skips the chmod after creating a file or folder when the umask already left
 * the archive's mode; whatever the umask, the result must be the archive's modes (with
 * owner read/write always granted, group/world write and special bits never).
 */
let root: string
let cleanup: () => Promise<void>
let saved: number

beforeEach(async () => {
  ;({root, cleanup} = await makeTempDir())
  saved = process.umask()
})
afterEach(async () => {
  process.umask(saved)
  await cleanup()
})

const archive = rawTarGz([
  {path: 'manifest.yaml', data: 'name: redis\ntype: taskserv\nversion: 1.0.0\n', mode: 0o644},
  {path: 'scripts/', type: 'Directory', mode: 0o755},
  {path: 'scripts/run.sh', data: '#!/bin/sh\n', mode: 0o755},
  {path: 'private/', type: 'Directory', mode: 0o700},
  {path: 'private/key', data: 'k', mode: 0o400},
  {path: 'implied/deep/file.txt', data: 'x', mode: 0o664},
  {path: 'shared/', type: 'Directory', mode: 0o1777},
  {path: 'shared/open.sh', data: '#!/bin/sh\n', mode: 0o6777},
])

const modeOf = async (file: string) => (await lstat(file)).mode & 0o777

describe('extracted modes under any umask', () => {
  it('reads the umask from /proc without changing it', () => {
    process.umask(0o027)
    expect(currentUmask()).toBe(0o027)
    expect(process.umask()).toBe(0o027)
  })

  for (const umask of [0o022, 0o077, 0o002, 0o000]) {
    it(`gives the archive's modes with umask ${umask.toString(8).padStart(3, '0')}`, async () => {
      process.umask(umask)
      const dest = path.join(root, `out-${umask}`)
      await extractArchive(archive, dest)
      expect(await modeOf(path.join(dest, 'manifest.yaml'))).toBe(0o644)
      expect(await modeOf(path.join(dest, 'scripts'))).toBe(0o755)
      expect(await modeOf(path.join(dest, 'scripts/run.sh'))).toBe(0o755)
      expect(await modeOf(path.join(dest, 'private'))).toBe(0o700)
      expect(await modeOf(path.join(dest, 'private/key'))).toBe(0o600)
      expect(await modeOf(path.join(dest, 'implied'))).toBe(0o755)
      expect(await modeOf(path.join(dest, 'implied/deep/file.txt'))).toBe(0o644)
      expect((await lstat(path.join(dest, 'shared'))).mode & 0o7777).toBe(0o755)
      expect((await lstat(path.join(dest, 'shared/open.sh'))).mode & 0o7777).toBe(0o755)
    })
  }
})

describe('duplicate entries, small and large files', () => {
  for (const size of [10, 300 * 1024]) {
    it(`refuses a ${size}-byte file that appears twice and leaves nothing behind`, async () => {
      const data = Buffer.alloc(size, 1)
      const dest = path.join(root, `dup-${size}`)
      const error = await expectProvisioningError(() =>
        extractArchive(
          rawTarGz([
            {path: 'manifest.yaml', data: 'x'},
            {path: 'f.bin', data},
            {path: 'f.bin', data},
          ]),
          dest,
        ),
      )
      expect(error.exit).toBe(8)
      expect(error.message).toMatch(/appears twice/)
      expect(await readdir(root)).toEqual([])
    })
  }
})
