import type {BigIntStats} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

// require(), not import: an ES module import of node:fs builds its whole namespace, whose
// `promises` getter loads fs/promises with readline and the streams (~4 ms on Node 24).
const require = createRequire(import.meta.url)
const {closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} =
  require('node:fs') as typeof import('node:fs')
const {Script} = require('node:vm') as typeof import('node:vm')

/**
 * Loads a fast-path bundle (dist/fast/NAME.cjs, scripts/bundle-fast-path.mjs) with V8's code
 * cache made AFTER the run, not before it.
 *
 * Why not Node's own compile cache (bin/run.js enables it for everything else): it stores the
 * code cache right after compiling a module, when V8 has compiled only the top level; every
 * function compiled lazily during the run is compiled again on every start. For a short run
 * that is most of the compile time: measured on Node 24, `config get` 80 → 68 ms and a locked
 * `dep resolve` 143 → 94 ms with the cache taken after the run (`Script#createCachedData`).
 * The v8-compile-cache package does this too, but by patching Module internals for every
 * require, into a shared folder under /tmp by default; one file needs a few lines.
 *
 * The cache is code this process will run, so it is read only from the user's own cache folder
 * (compile-cache.ts), only when it and the file are this user's and writable by nobody else,
 * never through a link or a FIFO, and bounded in size. Its name holds the bundle's identity
 * (device, inode, size, mtime and ctime in ns) and the Node version: V8 itself rejects a cache
 * of another V8 or other flags, but checks the source only by its length, so a rebuilt bundle
 * must never meet the old bundle's cache.
 */
export interface LoadedBundle {
  exports: Record<string, unknown>
  /** What became of the cache: none usable (missing, refused or turned off), used, or rejected by V8. */
  codeCache: 'none' | 'used' | 'rejected'
  /** Writes the cache for the next start when there was none usable; call once the run is over. */
  saveCodeCache(): void
}

/** Far above a real bundle's cache (dep-resolve: ~0.5 MB); a bigger file is not read. */
const MAX_CACHE_BYTES = 32 * 1024 * 1024

export function loadBundle(file: string, cacheDir: string | undefined): LoadedBundle {
  const fd = openSync(file, constants.O_RDONLY)
  let source: string
  let id: BigIntStats
  try {
    id = fstatSync(fd, {bigint: true})
    source = readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
  const name = path.basename(file, '.cjs')
  const folder = cacheDir && path.join(cacheDir, 'bundles', `${process.version}-${process.arch}`)
  const cacheFile = folder && path.join(folder, `${name}-${id.dev}-${id.ino}-${id.size}-${id.mtimeNs}-${id.ctimeNs}.v8`)
  const cachedData = cacheFile ? readTrusted(cacheFile) : undefined
  // CommonJS's own wrapper, so the bundle sees require, module and __filename as under require().
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {filename: file, cachedData})
  const module = {exports: {} as Record<string, unknown>}
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file))
  const codeCache = !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'
  return {
    exports: module.exports,
    codeCache,
    saveCodeCache() {
      if (!folder || !cacheFile || codeCache === 'used') return
      try {
        writeCache(folder, cacheFile, name, script.createCachedData())
      } catch {
        // A read-only or unusable cache folder only costs the next start its speed.
      }
    },
  }
}

/** Ours alone: owned by this user, writable by nobody else. */
const trusted = (info: {uid: number; mode: number}) => info.uid === process.getuid?.() && (info.mode & 0o022) === 0

function readTrusted(file: string): Buffer | undefined {
  let fd: number | undefined
  try {
    const folder = lstatSync(path.dirname(file))
    if (!folder.isDirectory() || !trusted(folder)) return undefined
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    const info = fstatSync(fd)
    if (!info.isFile() || !trusted(info) || info.size > MAX_CACHE_BYTES) return undefined
    return readFileSync(fd)
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

function writeCache(folder: string, cacheFile: string, name: string, data: Buffer): void {
  mkdirSync(folder, {recursive: true, mode: 0o700})
  // Caches of earlier builds of this bundle are never read again.
  const ours = new RegExp(`^${name}-\\d`)
  for (const entry of readdirSync(folder)) if (ours.test(entry) && path.join(folder, entry) !== cacheFile) rmSync(path.join(folder, entry), {force: true})
  const temp = `${cacheFile}.${process.pid}.tmp`
  writeFileSync(temp, data, {mode: 0o600, flag: 'wx'})
  renameSync(temp, cacheFile)
}
