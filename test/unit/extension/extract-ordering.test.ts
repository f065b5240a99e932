import {randomBytes} from 'node:crypto'
import {mkdtemp, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {expect, it} from 'vitest'
import {extractArchive} from '../../../src/lib/extension/extract.js'
import {packageExtension} from '../../../src/lib/extension/package.js'
// Regression: concurrent writes of one entry's chunks once landed out of order (about 1
// extraction in 10 corrupted a file). Many files and many runs make the race visible.
it('extracts 200 random files byte-identically, 25 times in a row', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'race-'))
  const ext = path.join(dir, 'ext')
  await mkdir(path.join(ext, 'docs'), {recursive: true})
  await writeFile(path.join(ext, 'manifest.yaml'), 'name: race\ntype: taskserv\nversion: 1.0.0\n')
  const files: Array<[string, Buffer]> = []
  for (let i = 0; i < 200; i++) {
    const b = randomBytes(16384 + i * 7)
    files.push([`docs/f${i}.bin`, b])
    await writeFile(path.join(ext, `docs/f${i}.bin`), b)
  }
  const pkg = await packageExtension(ext)
  let bad = 0
  for (let n = 0; n < 25; n++) {
    const out = path.join(dir, `out${n}`)
    await extractArchive(pkg.data, out)
    for (const [f, b] of files) if (!(await readFile(path.join(out, f))).equals(b)) bad++
    await rm(out, {recursive: true, force: true})
  }
  await rm(dir, {recursive: true, force: true})
  expect(bad).toBe(0)
}, 120000)
