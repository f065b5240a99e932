import {createHash, createHmac, randomBytes, timingSafeEqual} from 'node:crypto'
import {closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {packageRoot} from '../util/package-root.js'
import {isJsonExact, isPlainTable} from '../util/json-exact.js'
import {parseTempName, tempPathFor} from '../util/temp-name.js'
import type {ConfigTable} from './source-file.js'

/**
 * Parsed YAML by content: `$PROVISIONING_HOME/cache/parsed/<sha256>.json`. Loading the
 * yaml package (~70 modules) and parsing a workspace config and a lockfile costs ~60 ms
 * on every command run in a workspace; a file that has not changed since the last run is
 * read back as JSON instead. The key covers the text, the parser's version and this
 * CLI's version, so an entry is never stale; one that cannot be read or trusted is
 * ignored (and rewritten by the next parse), and an unusable cache only costs the
 * speed-up. Synchronous calls: a few small files, where promise round trips would cost
 * more than the calls.
 */
export interface ParsedEntry {
  data: ConfigTable
  /** Key path → 1-based line. */
  lines: Record<string, number>
}

/** Raised whenever the same text would parse differently (3: nesting and alias limits refuse some texts; 4: signed entries). */
const FORMAT = 4
/**
 * Larger texts are parsed every time (the entry would be as large). A lockfile is ~300 bytes an
 * extension: 2 MiB keeps one of ~7,000 extensions cached (at 512 KiB, 2,000 were re-parsed as
 * YAML on every run, 1-2.5 s on this machine).
 */
const MAX_TEXT_CHARS = 2 * 1024 * 1024
/**
 * Texts under this size are parsed every time, never looked up. Set by a fast-path bundle
 * (scripts/bundle-fast-path.mjs), where the YAML parser is inlined and its compiled code kept
 * between runs (cli/bundle-loader.ts): there, parsing a small config costs less than believing
 * an entry, which needs node:crypto (~8 ms to load on Node 24, for `config get` more than all the
 * rest). Under oclif, loading the yaml package (~70 modules) is the cost an entry saves: 0.
 */
type BundleDefines = {__provisioningParseCacheMinChars?: unknown; __provisioningYamlVersion?: unknown}
const minChars = (globalThis as BundleDefines).__provisioningParseCacheMinChars
const MIN_TEXT_CHARS = typeof minChars === 'number' ? minChars : 0
/** Entries kept; past this the oldest half is dropped (every edit of a file makes a new one). */
const MAX_ENTRIES = 256
/** Temp files of writers that died are removed when pruning, once this old. */
const STALE_TEMP_MS = 60 * 60 * 1000

let cacheDir: string | undefined
let keyFile: string | undefined
let secret: Buffer | undefined | null
let versions: string | undefined

/** Where entries go for the rest of the process (the config loader sets it once the home is known). */
export function useParseCache(dir: string | undefined, signingKeyFile?: string): void {
  cacheDir = dir
  keyFile = signingKeyFile
  secret = undefined
}

const KEY_BYTES = 32

/**
 * The per-home secret entries are signed with (HMAC-SHA256). Owner and mode checks keep out
 * other users of a shared home; the signature also keeps out entries that arrive with a
 * restored or shared `cache/` folder (a CI cache written by another job, a copied home's
 * cache), which carry this user's uid and sane modes but were never written under this key.
 * Created on first write; readable by this user alone.
 */
function signingKey(create: boolean): Buffer | undefined {
  if (secret || !keyFile || (secret === null && !create)) return secret ?? undefined
  let fd: number | undefined
  try {
    fd = openSync(keyFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    const info = fstatSync(fd)
    const key = info.isFile() && info.size === KEY_BYTES && info.uid === process.getuid?.() && (info.mode & 0o077) === 0 ? readFileSync(fd) : undefined
    secret = key?.length === KEY_BYTES ? key : null
  } catch {
    secret = null
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  if (secret === null && create) {
    try {
      mkdirSync(path.dirname(keyFile), {recursive: true, mode: 0o700})
      // An unusable key (readable by others, another owner, damaged) is replaced: that only
      // retires the entries signed with it.
      rmSync(keyFile, {force: true})
      const key = randomBytes(KEY_BYTES)
      writeFileSync(keyFile, key, {mode: 0o600, flag: 'wx'})
      secret = key
    } catch {
      // Another process made it first (EEXIST: read it next time) or the home is read-only.
    }
  }
  return secret ?? undefined
}

const macOf = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('hex')

/**
 * HMAC-SHA256 of `payload` under the per-home key (made on first use when `create`): for the
 * other caches whose entries are grounds for trust (the signature verification cache), so a
 * restored or shared `cache/` folder is not believed there either. Undefined without a key.
 */
export function cacheEntryMac(payload: string, create: boolean): string | undefined {
  const key = signingKey(create)
  return key ? macOf(key, payload) : undefined
}

/** Whether `mac` is this home's HMAC of `payload` (constant-time). */
export function cacheEntryMacMatches(payload: string, mac: unknown): boolean {
  const expected = cacheEntryMac(payload, false)
  return typeof mac === 'string' && expected !== undefined && mac.length === expected.length && timingSafeEqual(Buffer.from(mac), Buffer.from(expected))
}

export function parseCacheEnabled(): boolean {
  return cacheDir !== undefined
}

/** Whether a parse result of `text` is looked up and kept (markers and slots always are). */
export function cachesParseOf(text: string): boolean {
  return cacheDir !== undefined && text.length >= MIN_TEXT_CHARS
}

/** The parser's and the CLI's versions: another release may parse the same text differently. */
function toolVersions(): string {
  if (versions === undefined) {
    const version = (file: string) => {
      try {
        return String((JSON.parse(readFileSync(file, 'utf8')) as {version?: unknown}).version)
      } catch {
        return '?'
      }
    }
    // A bundle carries its own copy of the parser, whose version it was built with.
    const bundled = (globalThis as BundleDefines).__provisioningYamlVersion
    const yaml = typeof bundled === 'string' ? bundled : version(path.join(packageRoot, 'node_modules', 'yaml', 'package.json'))
    versions = `${version(path.join(packageRoot, 'package.json'))} yaml ${yaml}`
  }
  return versions
}

function keyOf(text: string): string {
  return createHash('sha256').update(`${FORMAT} ${toolVersions()}\0${text}`).digest('hex')
}

/** Ours alone: owned by this user, a real folder/file, writable by nobody else. */
function trusted(info: {uid: number; mode: number}): boolean {
  return info.uid === process.getuid?.() && (info.mode & 0o022) === 0
}

export function readParsed(text: string): ParsedEntry | undefined {
  const dir = cacheDir
  if (!dir || text.length > MAX_TEXT_CHARS) return undefined
  let fd: number | undefined
  try {
    // In a home shared by a team, entries (or the folder) planted by someone else would
    // inject config values: only ours count, never through a link, never a FIFO (no block).
    const folder = lstatSync(dir)
    if (!folder.isDirectory() || !trusted(folder)) return undefined
    const key = keyOf(text)
    fd = openSync(path.join(dir, `${key}.json`), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    const info = fstatSync(fd)
    if (!info.isFile() || !trusted(info)) return undefined
    const signing = signingKey(false)
    if (!signing) return undefined
    // `MAC\nPAYLOAD`: only what was written under this home's key is believed.
    const stored = readFileSync(fd, 'utf8')
    const newline = stored.indexOf('\n')
    const payload = stored.slice(newline + 1)
    const mac = Buffer.from(stored.slice(0, Math.max(newline, 0)), 'utf8')
    const expected = Buffer.from(macOf(signing, payload), 'utf8')
    if (newline < 0 || mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined
    const entry = JSON.parse(payload) as {key?: unknown; data?: unknown; lines?: unknown}
    // The entry names its own key: a renamed or copied entry does not answer for another text.
    if (entry.key !== key || !isPlainTable(entry.data) || !isPlainTable(entry.lines)) return undefined
    return {data: entry.data, lines: entry.lines as Record<string, number>}
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Stores a parse result when JSON carries it exactly (no NaN, ±Infinity, -0, dates, cycles). */
export function writeParsed(text: string, entry: ParsedEntry): void {
  const dir = cacheDir
  if (!dir || text.length > MAX_TEXT_CHARS) return
  let temp: string | undefined
  try {
    if (!isJsonExact(entry.data)) return
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const key = keyOf(text)
    // Named like writeFileAtomic's: `workspace cleanup` recognizes a dead writer's.
    temp = tempPathFor(path.join(dir, `${key}.json`))
    // The values may be as sensitive as the file they come from: private to the user.
    const signing = signingKey(true)
    if (!signing) return
    const payload = JSON.stringify({key, data: entry.data, lines: entry.lines})
    writeFileSync(temp, `${macOf(signing, payload)}\n${payload}`, {mode: 0o600, flag: 'wx'})
    renameSync(temp, path.join(dir, `${key}.json`))
    temp = undefined
    pruneIfFull(dir)
  } catch {
    try {
      if (temp) rmSync(temp, {force: true})
    } catch {
      // The folder itself is unusable (e.g. a file in its place): nothing was written.
    }
  }
}

function pruneIfFull(dir: string): void {
  const names = readdirSync(dir)
  const entries = names.filter((name) => name.endsWith('.json'))
  if (entries.length <= MAX_ENTRIES) return
  const mtime = (name: string) => statSync(path.join(dir, name), {throwIfNoEntry: false})?.mtimeMs ?? 0
  const aged = entries.map((name) => ({name, mtime: mtime(name)})).sort((a, b) => a.mtime - b.mtime)
  for (const {name} of aged.slice(0, Math.floor(entries.length / 2))) rmSync(path.join(dir, name), {force: true})
  const now = Date.now()
  for (const name of names) if (parseTempName(name) && now - mtime(name) > STALE_TEMP_MS) rmSync(path.join(dir, name), {force: true})
}

/**
 * A remembered fact about a text (e.g. "this lock's content was verified"), kept with the
 * same trust rules as parsed entries: only this user's, keyed by the text and this CLI's
 * version. Facts must be pure functions of the text, so a marker never goes stale.
 */
const markerText = (subject: string) => `\0marker\0${subject}`

export function hasMarker(subject: string): boolean {
  return readParsed(markerText(subject))?.data.marked === true
}

export function writeMarker(subject: string): void {
  writeParsed(markerText(subject), {data: {marked: true}, lines: {}})
}

/**
 * A named slot with the same trust rules (only this user's, signed, keyed by the name and
 * this CLI's version), for a value that is NOT a function of its name: each writer replaces
 * it. Whatever a caller keeps in a slot must therefore be keyed by content inside it (e.g.
 * the sha256 of each manifest it validated) and looked up by that content on every read,
 * so that a slot never answers for a file that changed since.
 */
const slotText = (name: string) => `\0slot\0${name}`

export function readSlot(name: string): ConfigTable | undefined {
  return readParsed(slotText(name))?.data
}

export function writeSlot(name: string, data: ConfigTable): void {
  writeParsed(slotText(name), {data, lines: {}})
}
