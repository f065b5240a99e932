import crypto from 'node:crypto'
import {type Dirent, readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import {readSlot, writeSlot} from '../config/parse-cache.js'
import {ConfigError} from '../errors.js'
import {EXTENSION_TYPES, isExtensionType} from '../extension/names.js'
import type {Problem} from '../extension/problems.js'
import {MAX_DOCUMENT_BYTES} from '../oci/limits.js'
import {isPlainTable} from '../util/json-exact.js'
import {readUntrustedSync} from '../util/untrusted-file.js'
import {candidateFrom, type InvalidManifest, invalidLocalManifests} from './candidate.js'
import type {CandidateVersion, Catalog} from './types.js'

export interface LocalRecord {
  candidate: CandidateVersion
  dir: string
}

export interface LocalCatalog extends Catalog {
  record(name: string, version: string): LocalRecord | undefined
  /** Every extension version in the folder, sorted by name then version. */
  records(): LocalRecord[]
  whereIs(name: string): {text: string}
}

/** Group folders: the plural of each extension type (`providers/`, `taskservs/`, `clusters/`). */
const GROUPS = EXTENSION_TYPES.map((type) => `${type}s`)
const MANIFEST = 'manifest.yaml'
/** SPEC §14: manifests are read whole and bounded like config blobs (4 MiB). */
export const MAX_MANIFEST_BYTES = MAX_DOCUMENT_BYTES
/**
 * Raised when the same manifest text would give another candidate (the manifest schema or
 * candidateFrom changed): entries of another format are not read. The CLI's and the YAML
 * parser's versions are part of the cache key already.
 */
const CACHE_FORMAT = 2

/** A manifest found by the walk: the extension name is its folder's. */
interface Found {
  name: string
  dir: string
  file: string
}

const byteOrder = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/**
 * sha256 hex of a manifest text. crypto.hash (Node ≥ 20.12) makes no Hash object: with
 * 10,000 manifests those objects were a good part of the garbage collector's work.
 */
const sha256: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text).digest('hex')

const problem = (field: string, message: string, hint: string): Problem => ({severity: 'error', field, message, hint})

/** A folder's entries in byte order (readdir's order depends on the file system), or why not. */
function listDir(dir: string): Dirent[] | NodeJS.ErrnoException {
  try {
    return readdirSync(dir, {withFileTypes: true}).sort(byteOrder)
  } catch (error) {
    return error as NodeJS.ErrnoException
  }
}

/**
 * Every `{group}/{name}/manifest.yaml` and `{group}/{name}/{version}/manifest.yaml`, in a
 * fixed order (groups as EXTENSION_TYPES, then names and version folders in byte order), so
 * the catalog never depends on the order the file system lists. Links to folders are not
 * followed (as before: a Dirent of a link is not a directory).
 */
function walk(root: string, invalid: InvalidManifest[]): Found[] {
  const found: Found[] = []
  // Entry names never contain a separator: plain concatenation (path.join on 22,000 paths
  // is measurable) gives the same absolute paths as path.join from a resolved root.
  const join = (dir: string, name: string) => (dir.endsWith(path.sep) ? dir + name : dir + path.sep + name)
  for (const group of GROUPS) {
    const groupDir = join(root, group)
    const names = listDir(groupDir)
    if (!Array.isArray(names)) continue // no such group: nothing of this type
    for (const entry of names) {
      if (!entry.isDirectory()) continue
      const dir = join(groupDir, entry.name)
      const inside = listDir(dir)
      if (!Array.isArray(inside)) {
        invalid.push({where: dir, problems: [problem('folder', `the folder cannot be read (${inside.code ?? inside.message})`, 'fix its permissions')]})
        continue
      }
      // Any entry named manifest.yaml makes the flat layout, whatever it is: a FIFO or a link
      // there is refused when read, not silently taken for a version folder.
      if (inside.some((e) => e.name === MANIFEST)) found.push({name: entry.name, dir, file: join(dir, MANIFEST)})
      else
        for (const version of inside) {
          if (!version.isDirectory()) continue
          const versionDir = join(dir, version.name)
          found.push({name: entry.name, dir: versionDir, file: join(versionDir, MANIFEST)})
        }
    }
  }
  return found
}

/** The text of a manifest under the untrusted-file rule, undefined when there is none, or why it cannot be used. */
function readManifest(file: string): {text: string} | {problem: Problem} | undefined {
  let read
  try {
    read = readUntrustedSync(file, {max: MAX_MANIFEST_BYTES})
  } catch (error) {
    return {problem: problem(MANIFEST, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'fix its permissions')}
  }
  if (read.kind === 'missing') return undefined
  if (read.kind === 'unusable') {
    return {
      problem: problem(
        MANIFEST,
        `cannot be used: ${read.reason}`,
        `make ${MANIFEST} a regular file of at most ${MAX_MANIFEST_BYTES} bytes (links are not followed)`,
      ),
    }
  }
  return {text: read.data.toString('utf8')}
}

const isStringMap = (value: unknown): value is Record<string, string> => isPlainTable(value) && Object.values(value).every((v) => typeof v === 'string')

/**
 * What the cache keeps of a candidate: `[version, type, dependencies, optional, conflicts,
 * minProvisioningVersion?]`. The name is in the key (the sha256 of the folder name and the
 * text), and the tag of a local manifest is its version; 10,000 of them read back ~40% less JSON.
 */
type CachedItem = [string, string, Record<string, string>, Record<string, string>, Record<string, string>, string?]

function toItem(c: CandidateVersion): CachedItem {
  const item: CachedItem = [c.version, c.type as string, c.dependencies, c.optional, c.conflicts]
  if (c.minProvisioningVersion) item.push(c.minProvisioningVersion)
  return item
}

/** A cached item back as the candidate candidateFrom made (the entry is signed: this catches damage, not attack). */
function cachedCandidate(item: unknown, name: string): CandidateVersion | undefined {
  if (!Array.isArray(item) || item.length < 5 || item.length > 6) return undefined
  const [version, type, dependencies, optional, conflicts, minProvisioningVersion] = item as unknown[]
  if (typeof version !== 'string' || !isExtensionType(type) || !isStringMap(dependencies) || !isStringMap(optional) || !isStringMap(conflicts)) return undefined
  if (item.length === 6 && typeof minProvisioningVersion !== 'string') return undefined
  return {name, version, tag: version, type, dependencies, optional, conflicts, ...(typeof minProvisioningVersion === 'string' ? {minProvisioningVersion} : {})}
}

/**
 * A catalog from a local source folder (SPEC §9.1 source_type local): every
 * `{type}/{name}/manifest.yaml`, or `{type}/{name}/{version}/manifest.yaml` for several
 * versions side by side (as in templates/examples). Every manifest is checked; all the
 * invalid ones are reported together (exit 3).
 *
 * Reading: synchronous calls, on purpose. On 10,000 manifests in the page cache (the case
 * that matters: a source someone just wrote or checked out), open/fstat/read/close through
 * the thread pool took 430–1050 ms with 64 in flight (FileHandle or callbacks), the same
 * calls made synchronously 115–160 ms; the directory walk 190 ms vs 50 ms.
 * Each read follows the untrusted-file rule: no link followed, a FIFO never blocks, a
 * device or a file over 4 MiB is refused at its fstat (exit 3, naming the file).
 *
 * Parsing (the YAML parser and the manifest schema, ~0.2 ms per manifest) is what a cache
 * saves: one signed parse-cache slot per source folder maps the sha256 of each manifest's
 * folder name and text to the candidate its validation produced. A manifest is looked up by
 * its content on every read, so an edited file is never served from the cache: it is parsed
 * and checked again. One slot rather than one entry per manifest: reading 10,000 signed
 * entries back took 300–380 ms (as much as reading the manifests themselves) against ~40 ms
 * for the one slot (1.3 MB), and 10,000 entries are far beyond the parse cache's limit of
 * 256. The slot keeps exactly the manifests of the last read, so it does not grow with
 * edits; a manifest whose validation failed is never cached.
 */
export async function readLocalCatalog(root: string, options: {onInvalid?: (invalid: InvalidManifest[]) => void} = {}): Promise<LocalCatalog> {
  const source = path.resolve(root)
  if (!(statSync(source, {throwIfNoEntry: false})?.isDirectory() ?? false)) {
    throw new ConfigError(`the local extension source ${root} does not exist`, {
      hint: 'create it, or fix dependencies.extensions.local.path',
      details: {path: root},
    })
  }
  const invalid: InvalidManifest[] = []
  const found = walk(source, invalid)

  const slot = `local-catalog ${CACHE_FORMAT} ${source}`
  const stored = readSlot(slot)
  const cached = isPlainTable(stored?.items) ? stored.items : {}
  const used: Record<string, CachedItem> = {}
  let added = 0
  let parseManifestYaml: typeof import('../extension/manifest.js').parseManifestYaml | undefined

  const byName = new Map<string, CandidateVersion[]>()
  const records = new Map<string, LocalRecord>()
  const fileOf = new Map<string, string>()
  for (const {name, dir, file} of found) {
    const read = readManifest(file)
    if (!read) continue // a version folder without a manifest (or one removed meanwhile)
    if ('problem' in read) {
      invalid.push({where: file, name, problems: [read.problem]})
      continue
    }
    // The folder name is part of the key: the same text in a folder of another name is checked again.
    const key = sha256(`${name}\0${read.text}`)
    let candidate = cachedCandidate(cached[key], name)
    const hit = candidate !== undefined
    if (!candidate) {
      // The YAML parser is loaded only when some manifest is not in the cache.
      parseManifestYaml ??= (await import('../extension/manifest.js')).parseManifestYaml
      const {manifest, problems} = parseManifestYaml(read.text)
      if (!manifest) {
        invalid.push({where: file, name, problems})
        continue
      }
      if (manifest.name !== name) {
        invalid.push({
          where: file,
          name,
          problems: [problem('name', `name "${manifest.name}" differs from its folder "${name}"`, `rename the folder to ${manifest.name}, or fix the name`)],
        })
        continue
      }
      candidate = candidateFrom(manifest, {name, tag: manifest.version, where: file})
    }
    if (hit) used[key] = cached[key] as CachedItem
    else {
      used[key] = toItem(candidate)
      added++
    }
    const id = `${name}@${candidate.version}`
    const first = fileOf.get(id)
    if (first) {
      invalid.push({where: file, name, problems: [problem('version', `${id} is also at ${first}`, 'keep one folder per version')]})
      continue
    }
    fileOf.set(id, file)
    const versions = byName.get(name)
    if (versions) versions.push(candidate)
    else byName.set(name, [candidate])
    records.set(id, {candidate, dir})
  }

  // Rewritten when a manifest was validated anew or a cached one is gone (so the slot stays
  // the size of the source), also before reporting invalid ones: fixing one file of many
  // then costs one parse. (Every key of `used` not in `cached` was added: equal counts and
  // nothing added mean equal sets.)
  if (added > 0 || Object.keys(used).length !== Object.keys(cached).length) writeSlot(slot, {items: used})
  // dep validate lists them with every other problem and resolves what is valid.
  if (invalid.length > 0 && options.onInvalid) options.onInvalid(invalid)
  else if (invalid.length > 0) throw invalidLocalManifests(source, invalid)

  const sorted = () =>
    [...records.values()].sort(
      (a, b) => a.candidate.name.localeCompare(b.candidate.name) || a.candidate.version.localeCompare(b.candidate.version, 'en', {numeric: true}),
    )
  return {
    versions: (name) => byName.get(name),
    record: (name, version) => records.get(`${name}@${version}`),
    records: sorted,
    whereIs: () => ({text: `the local source ${source}`}),
  }
}
