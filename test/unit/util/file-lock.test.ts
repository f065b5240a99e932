import {spawn, spawnSync} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {repoRoot} from '../../helpers/cli.js'

/**
 * withFileLock across real processes: many of them find a lock left by a dead process at
 * the same moment; the takeover must still let exactly one in at a time.
 */
const MODULE = pathToFileURL(path.join(repoRoot, 'dist', 'lib', 'util', 'file-lock.js')).href

function worker(lock: string, log: string): Promise<number> {
  const script = `
    import {appendFileSync} from 'node:fs'
    const {withFileLock} = await import(${JSON.stringify(MODULE)})
    await withFileLock(${JSON.stringify(lock)}, {waitMs: 20000}, async () => {
      appendFileSync(${JSON.stringify(log)}, '+' + process.pid + '\\n')
      await new Promise((r) => setTimeout(r, 20))
      appendFileSync(${JSON.stringify(log)}, '-' + process.pid + '\\n')
    })`
  return new Promise((resolve) => {
    spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: 'ignore'}).on('exit', (code) => resolve(code ?? 1))
  })
}

describe('withFileLock', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'prov-file-lock-'))
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('a lock of a dead process is taken over by one process at a time, however many race for it', async () => {
    for (let round = 0; round < 3; round++) {
      const lock = path.join(dir, `round-${round}.lock`)
      const log = path.join(dir, `round-${round}.log`)
      const dead = spawnSync(process.execPath, ['-e', '0']).pid as number
      await writeFile(lock, JSON.stringify({pid: dead, host: os.hostname(), user: 'gone', since: '2024-01-01T00:00:00Z'}))
      const codes = await Promise.all(Array.from({length: 8}, () => worker(lock, log)))
      expect(codes).toEqual(Array.from({length: 8}, () => 0))
      const lines = (await readFile(log, 'utf8')).trim().split('\n')
      expect(lines).toHaveLength(16)
      // Strictly alternating enter/leave of the same process: nobody was ever inside together.
      for (let i = 0; i < lines.length; i += 2) expect([lines[i][0], lines[i + 1]]).toEqual(['+', `-${lines[i].slice(1)}`])
      await expect(readFile(lock)).rejects.toThrow()
    }
  })
})
