import {execFileSync} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {repoRoot} from '../../helpers/cli.js'

// Each load in a process of its own, as each start is: within one process V8 keeps compiled
// scripts in memory by source and would answer before looking at the cache file. The tsc build
// of the loader is what bin/run.js runs (`npm test` builds first).
const LOADER = path.join(repoRoot, 'dist', 'cli', 'bundle-loader.js')
const DRIVER = `
const {loadBundle} = await import(process.env.LOADER)
const loaded = loadBundle(process.env.BUNDLE, process.env.CACHE_DIR || undefined)
const answer = loaded.exports.run()
loaded.saveCodeCache()
process.stdout.write(JSON.stringify({answer, codeCache: loaded.codeCache}))
`

// A bundle as scripts/bundle-fast-path.mjs makes them: CommonJS, with functions that only
// compile when called (what the cache taken after the run holds and Node's own does not).
const bundleSource = (answer: number) => `
const path = require('node:path')
function lazily(n) { return [n, path.basename(__filename)] }
exports.run = () => lazily(${answer})
`

let root: string
let bundle: string
let cacheDir: string
const cacheFolder = () => path.join(cacheDir, 'bundles', `${process.version}-${process.arch}`)
const cacheFiles = () => (existsSync(cacheFolder()) ? readdirSync(cacheFolder()) : [])

/** `dir` '': no cache folder (NODE_DISABLE_COMPILE_CACHE=1). */
function run(dir: string = cacheDir): {answer: unknown; codeCache: string} {
  const env = {...process.env, LOADER, BUNDLE: bundle, CACHE_DIR: dir}
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', DRIVER], {env, encoding: 'utf8'})) as {answer: unknown; codeCache: string}
}

beforeEach(() => {
  expect(existsSync(LOADER), 'run npm run build first').toBe(true)
  root = mkdtempSync(path.join(os.tmpdir(), 'bundle-loader-'))
  bundle = path.join(root, 'dist', 'fast', 'sample.cjs')
  mkdirSync(path.dirname(bundle), {recursive: true})
  writeFileSync(bundle, bundleSource(1))
  cacheDir = path.join(root, 'cache')
})

afterEach(() => rmSync(root, {recursive: true, force: true}))

describe('loadBundle', () => {
  it('runs the bundle as CommonJS, writes the code cache after the run, and uses it on the next start', () => {
    expect(run()).toEqual({answer: [1, 'sample.cjs'], codeCache: 'none'})
    const [entry] = cacheFiles()
    expect(entry).toMatch(/^sample-\d+-\d+-\d+-\d+-\d+\.v8$/)
    // Private to the user, in a folder only the user may write to.
    expect(statSync(path.join(cacheFolder(), entry)).mode & 0o777).toBe(0o600)
    expect(statSync(cacheFolder()).mode & 0o777).toBe(0o700)
    expect(run()).toEqual({answer: [1, 'sample.cjs'], codeCache: 'used'})
    expect(cacheFiles()).toEqual([entry])
  })

  it('never runs a rebuilt bundle with the old cache, even at the same length', () => {
    run()
    const [old] = cacheFiles()
    // V8 checks a cache against its source by length alone: this one is as long as the first.
    writeFileSync(bundle, bundleSource(2))
    expect(run()).toEqual({answer: [2, 'sample.cjs'], codeCache: 'none'})
    expect(run()).toEqual({answer: [2, 'sample.cjs'], codeCache: 'used'})
    expect(cacheFiles()).toHaveLength(2)
    expect(cacheFiles()).toContain(old)
  })

  it("keeps the newest 4 caches of a bundle (two installs side by side keep theirs), and drops dead writers' temp files", () => {
    const stale = path.join(cacheFolder(), 'sample-1-2-3-4-5.v8.4242.tmp')
    for (let build = 1; build <= 6; build++) {
      // Another build each time (a new inode, a later mtime); the caches' mtimes follow.
      rmSync(bundle)
      writeFileSync(bundle, bundleSource(build))
      expect(run()).toEqual({answer: [build, 'sample.cjs'], codeCache: 'none'})
      if (build === 1) {
        writeFileSync(stale, 'half a cache')
        utimesSync(stale, new Date(Date.now() - 2 * 60 * 60 * 1000), new Date(Date.now() - 2 * 60 * 60 * 1000))
      }
    }
    expect(cacheFiles()).toHaveLength(4)
    expect(existsSync(stale)).toBe(false)
    expect(run().codeCache).toBe('used')
  })

  it('rewrites a cache V8 rejects (damaged)', () => {
    run()
    const [entry] = cacheFiles()
    writeFileSync(path.join(cacheFolder(), entry), Buffer.alloc(4096, 7), {mode: 0o600})
    expect(run()).toEqual({answer: [1, 'sample.cjs'], codeCache: 'rejected'})
    expect(run().codeCache).toBe('used')
  })

  describe('a cache it may not trust is not read (it would run that code), and is replaced', () => {
    const plant = (make: (file: string) => void) => {
      run()
      const file = path.join(cacheFolder(), cacheFiles()[0])
      rmSync(file)
      make(file)
      return file
    }

    it('writable by others', () => {
      const file = plant((f) => writeFileSync(f, Buffer.alloc(16)))
      chmodSync(file, 0o666)
      expect(run().codeCache).toBe('none')
      expect(statSync(file).mode & 0o777).toBe(0o600)
    })

    // Runs as root only (CI and the build machines run as root): only root can hand a file to another user.
    it.runIf(process.getuid?.() === 0)('owned by another user', () => {
      const file = plant((f) => writeFileSync(f, Buffer.alloc(16), {mode: 0o600}))
      chownSync(file, 65_534, 65_534)
      expect(run().codeCache).toBe('none')
      expect(statSync(file).uid).toBe(0)
    })

    it('a link, even to a good cache', () => {
      const good = path.join(root, 'elsewhere.v8')
      run()
      const file = path.join(cacheFolder(), cacheFiles()[0])
      execFileSync('cp', [file, good])
      rmSync(file)
      symlinkSync(good, file)
      expect(run().codeCache).toBe('none')
    })

    it('a FIFO, without waiting for a writer', () => {
      plant((f) => execFileSync('mkfifo', [f]))
      expect(run().codeCache).toBe('none')
    })

    it('larger than the bound (32 MiB), unread', () => {
      const file = plant((f) => writeFileSync(f, '', {mode: 0o600}))
      truncateSync(file, 33 * 1024 * 1024)
      expect(run().codeCache).toBe('none')
    })

    it('in a folder others may write to', () => {
      run()
      chmodSync(cacheFolder(), 0o777)
      expect(run().codeCache).toBe('none')
    })
  })

  it('without a cache folder (turned off) it runs and writes nothing', () => {
    expect(run('')).toEqual({answer: [1, 'sample.cjs'], codeCache: 'none'})
    expect(existsSync(cacheDir)).toBe(false)
  })

  it('a cache folder it cannot write to only costs the speed', () => {
    writeFileSync(cacheDir, 'a file where the folder should be')
    expect(run()).toEqual({answer: [1, 'sample.cjs'], codeCache: 'none'})
  })
})
