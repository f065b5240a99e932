import {createHash, randomBytes} from 'node:crypto'
import {closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import type {ConfigTable} from './source-file.js'

/**
 * Parsed YAML by content: `$PROVISIONING_HOME/cache/parsed/<sha256 of the text>.json`.
 * Loading the yaml package (~70 modules) and parsing a workspace config and a lockfile
 * costs ~60 ms on every command run in a workspace; a file that has not changed since
 * the last run is read back as JSON instead. Keyed by the text itself, an entry can never
 * be stale; one that cannot be read is ignored (and rewritten by the next parse), and the
 * cache being unwritable only costs the speed-up. Synchronous calls: a few small files,
 * where promise round trips would cost more than the calls.
 */
export interface ParsedEntry {
  data: ConfigTable
  /** Key path → 1-based line. */
  lines: Record<string, number>
}

const FORMAT = 1
/** Larger texts are parsed every time: rare for config files, and the entry would be large too. */
const MAX_TEXT_BYTES = 1024 * 1024
/** Entries kept; past this the oldest half is dropped (every edit of a file makes a new one). */
const MAX_ENTRIES = 256

let cacheDir: string | undefined

/** Where entries go for the rest of the process (the config loader sets it once the home is known). */
export function useParseCache(dir: string | undefined): void {
  cacheDir = dir
}

function entryFile(dir: string, text: string): string {
  return path.join(dir, `${createHash('sha256').update(`yaml\0${text}`).digest('hex')}.json`)
}

export function readParsed(text: string): ParsedEntry | undefined {
  if (!cacheDir || text.length > MAX_TEXT_BYTES) return undefined
  let fd: number | undefined
  try {
    fd = openSync(entryFile(cacheDir, text), 'r')
    // Only entries this user wrote and nobody else can change: in a home shared by a team,
    // an entry planted by someone else would otherwise inject config values.
    const info = fstatSync(fd)
    if (!info.isFile() || info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0) return undefined
    const entry = JSON.parse(readFileSync(fd, 'utf8')) as {format?: number; data?: unknown; lines?: unknown}
    if (entry.format !== FORMAT || !isPlainTable(entry.data) || !isPlainTable(entry.lines)) return undefined
    return {data: entry.data, lines: entry.lines as Record<string, number>}
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Stores a parse result when JSON can carry it exactly (no NaN, ±Infinity, -0, dates, maps). */
export function writeParsed(text: string, entry: ParsedEntry): void {
  const dir = cacheDir
  if (!dir || text.length > MAX_TEXT_BYTES || !isJsonExact(entry.data)) return
  const file = entryFile(dir, text)
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
  try {
    mkdirSync(dir, {recursive: true, mode: 0o700})
    // The values may be as sensitive as the file they come from: private to the user.
    writeFileSync(temp, JSON.stringify({format: FORMAT, data: entry.data, lines: entry.lines}), {mode: 0o600, flag: 'wx'})
    renameSync(temp, file)
    pruneIfFull(dir)
  } catch {
    try {
      rmSync(temp, {force: true})
    } catch {
      // The folder itself is unusable (e.g. a file in its place): nothing was written.
    }
  }
}

function pruneIfFull(dir: string): void {
  const names = readdirSync(dir).filter((name) => name.endsWith('.json'))
  if (names.length <= MAX_ENTRIES) return
  const aged = names.map((name) => ({name, mtime: statSync(path.join(dir, name), {throwIfNoEntry: false})?.mtimeMs ?? 0})).sort((a, b) => a.mtime - b.mtime)
  for (const {name} of aged.slice(0, Math.floor(names.length / 2))) rmSync(path.join(dir, name), {force: true})
}

function isPlainTable(value: unknown): value is ConfigTable {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function isJsonExact(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (Array.isArray(value)) return value.every((item) => isJsonExact(item))
  // Own "__proto__" keys would not come back from JSON.parse as data.
  return isPlainTable(value) && !Object.hasOwn(value, '__proto__') && Object.values(value).every((item) => isJsonExact(item))
}
