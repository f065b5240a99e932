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
/**
 * Caches kept per bundle name: earlier builds' go, but two installs side by side (a global
 * one and an npx one) each keep theirs instead of deleting the other's on every run.
 */
const KEPT_PER_BUNDLE = 4

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
  // Without user ids (Windows) no cache could be trusted: none is read or written.
  const folder = cacheDir && process.getuid ? path.join(cacheDir, 'bundles', `${process.version}-${process.arch}`) : undefined
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
  const temp = `${cacheFile}.${process.pid}.tmp`
  writeFileSync(temp, data, {mode: 0o600, flag: 'wx'})
  renameSync(temp, cacheFile)
  // The newest few caches of this bundle stay; older builds' are never read again, nor are
  // the temp files of writers that died (an hour is far beyond any write).
  const entries = readdirSync(folder).map((entry) => ({
    entry,
    file: path.join(folder, entry),
    mtime: lstatSync(path.join(folder, entry), {throwIfNoEntry: false})?.mtimeMs ?? 0,
  }))
  const caches = new RegExp(`^${name}-\\d[\\d-]*\\.v8$`)
  const temps = new RegExp(`^${name}-\\d[\\d-]*\\.v8\\.\\d+\\.tmp$`)
  const aged = entries.filter(({entry}) => caches.test(entry)).sort((a, b) => b.mtime - a.mtime)
  for (const {file} of aged.slice(KEPT_PER_BUNDLE)) rmSync(file, {force: true})
  for (const {entry, file, mtime} of entries) if (temps.test(entry) && Date.now() - mtime > 60 * 60 * 1000) rmSync(file, {force: true})
}
