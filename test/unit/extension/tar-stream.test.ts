import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {ExtensionEntry} from '../../../src/lib/extension/extension-dir.js'
import {TAR_PIECE_BYTES, writeTarPieces} from '../../../src/lib/extension/tar-stream.js'
import {expectProvisioningError, makeTempDir} from './helpers.js'

/** The tar stream reads files straight into fixed pieces and notices files that changed since the walk. */
let root: string
let cleanup: () => Promise<void>

beforeEach(async () => {
  ;({root, cleanup} = await makeTempDir())
})
afterEach(async () => cleanup())

const file = (name: string, size: number): ExtensionEntry => ({path: name, kind: 'file', mode: 0o644, size})

async function pieces(entries: ExtensionEntry[]): Promise<Buffer[]> {
  const out: Buffer[] = []
  await writeTarPieces(root, entries, 0, async (piece) => {
    out.push(piece)
  })
  return out
}

describe('writeTarPieces', () => {
  it('cuts the stream into full pieces and a shorter last one, with every byte of the files', async () => {
    const big = Buffer.alloc(TAR_PIECE_BYTES + 5000, 7)
    await writeFile(path.join(root, 'a.bin'), big)
    await writeFile(path.join(root, 'b.txt'), 'b\n')
    const out = await pieces([file('a.bin', big.length), file('b.txt', 2)])
    expect(out.slice(0, -1).every((p) => p.length === TAR_PIECE_BYTES)).toBe(true)
    const tar = Buffer.concat(out)
    expect(tar.length % 512).toBe(0)
    expect(tar.subarray(512, 512 + big.length).equals(big)).toBe(true)
  })

  it('refuses a file that grew or shrank since the walk, also at a piece boundary', async () => {
    await writeFile(path.join(root, 'x'), 'hello')
    for (const size of [4, 6, 0]) {
      const error = await expectProvisioningError(() => pieces([file('x', size)]))
      expect(error.message).toMatch(/changed while it was being packaged/)
    }
    // A file ending exactly where a piece ends (the growth check then needs its own read).
    const exact = TAR_PIECE_BYTES - 512
    await writeFile(path.join(root, 'edge'), Buffer.alloc(exact + 1, 1))
    const error = await expectProvisioningError(() => pieces([file('edge', exact)]))
    expect(error.message).toMatch(/changed/)
    await writeFile(path.join(root, 'edge'), Buffer.alloc(exact, 1))
    expect(Buffer.concat(await pieces([file('edge', exact)])).length).toBe(512 + exact + 1024)
  })
})
