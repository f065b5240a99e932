import {createHash} from 'node:crypto'
import {closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats} from 'node:fs'
import path from 'node:path'

/** One entry of an extension folder, as far as its content goes. */
export interface TreeEntry {
  kind: 'file' | 'folder' | 'link' | 'other'
  mode: number
  /** Files: their size in bytes. */
  size?: number
  /** Files: sha256 of the content (absent when the size already differs); links: the target text. */
  content?: string
}

/** Relative path (with `/`) → entry; the folder itself is not listed. */
export type TreeListing = Map<string, TreeEntry>

/**
 * Far above what an install can put there (an archive holds at most 20,000 entries): a
 * folder with more is reported as such instead of being walked for minutes.
 */
const MAX_ENTRIES = 50_000
const CHUNK_BYTES = 1024 * 1024
/** Opened without following a link and without waiting on a FIFO put in a file's place. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

export class TreeTooLarge extends Error {}

const kindOf = (info: Stats): TreeEntry['kind'] => (info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'folder' : info.isFile() ? 'file' : 'other')

/**
 * Every entry below `root` with its kind, permission bits, size and content digest. Links are
 * never followed (their target text is the content), FIFOs, sockets and devices are never
 * opened, and a file swapped for something else between the walk and the read is listed as
 * what it is now. Given the `expected` listing, only what could still match is read: a file
 * it lacks is listed from its lstat and one of another size is not hashed (both already
 * differ), so a huge file dropped into a folder costs nothing. Synchronous: thousands of
 * small files in the page cache, where thread-pool round trips would cost more than the reads.
 */
export function listTree(root: string, expected?: TreeListing): TreeListing {
  const listing: TreeListing = new Map()
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES)
  const pending = ['']
  while (pending.length > 0) {
    const rel = pending.pop() as string
    for (const dirent of readdirSync(path.join(root, rel), {withFileTypes: true})) {
      if (listing.size >= MAX_ENTRIES) throw new TreeTooLarge(`${root} holds more than ${MAX_ENTRIES} entries`)
      const relPath = rel === '' ? dirent.name : `${rel}/${dirent.name}`
      const abs = path.join(root, relPath)
      const want = expected?.get(relPath)
      const unexpected = expected !== undefined && want === undefined
      // The entry type of the listing spares a stat per file (the open's fstat says what it is now).
      let entry = dirent.isFile() && !unexpected ? fileEntry(abs, chunk, want) : undefined
      if (!entry) {
        const info = lstatSync(abs)
        entry = {kind: kindOf(info), mode: info.mode & 0o7777, ...(info.isFile() ? {size: info.size} : {})}
        if (entry.kind === 'folder') pending.push(relPath)
        else if (entry.kind === 'link') entry.content = readlinkSync(abs)
        else if (entry.kind === 'file' && !unexpected) entry = fileEntry(abs, chunk, want) ?? {kind: 'other', mode: entry.mode}
      }
      listing.set(relPath, entry)
    }
  }
  return listing
}

/** A file's entry, hashed unless `want` (the expected entry) is not a file of the same size. */
function fileEntry(file: string, chunk: Buffer, want?: TreeEntry): TreeEntry | undefined {
  let fd: number
  try {
    fd = openSync(file, OPEN_FLAGS)
  } catch {
    return undefined // swapped for a link (ELOOP) or a socket (ENXIO) since the walk
  }
  try {
    const info = fstatSync(fd)
    if (!info.isFile()) return undefined
    const entry: TreeEntry = {kind: 'file', mode: info.mode & 0o7777, size: info.size}
    if (want && (want.kind !== 'file' || want.size !== info.size)) return entry
    const hash = createHash('sha256')
    // One byte past the size at most: a file still growing differs, and is not read for ever.
    for (let done = 0; done <= info.size;) {
      const read = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, info.size + 1 - done), null)
      if (read === 0) break
      hash.update(chunk.subarray(0, read))
      done += read
    }
    return {...entry, content: `sha256:${hash.digest('hex')}`}
  } finally {
    closeSync(fd)
  }
}

export interface TreeDifferences {
  /** Present in both, but another kind, mode, size or content. */
  modified: string[]
  missing: string[]
  extra: string[]
}

export function compareTrees(expected: TreeListing, actual: TreeListing): TreeDifferences {
  const differences: TreeDifferences = {modified: [], missing: [], extra: []}
  for (const [rel, want] of expected) {
    const have = actual.get(rel)
    if (!have) differences.missing.push(rel)
    else if (have.kind !== want.kind || have.mode !== want.mode || have.size !== want.size || have.content !== want.content) differences.modified.push(rel)
  }
  for (const rel of actual.keys()) if (!expected.has(rel)) differences.extra.push(rel)
  for (const list of Object.values(differences)) list.sort()
  return differences
}

/**
 * A cheap fingerprint of a folder (no content read): every entry's path, kind, mode, size,
 * inode and change time. Any write, chmod, rename or delete below it changes a change time or
 * the list, so a fingerprint taken right after an install tells whether anything was touched
 * since. It is a hint, not a proof (the state file holding it is the workspace's own, anyone's
 * to edit): `dep verify` compares content.
 */
export function treeFingerprint(root: string): string | undefined {
  const hash = createHash('sha256')
  const pending = ['']
  let count = 0
  try {
    while (pending.length > 0) {
      const rel = pending.pop() as string
      for (const name of readdirSync(path.join(root, rel)).sort()) {
        if (++count > MAX_ENTRIES) return undefined
        const relPath = rel === '' ? name : `${rel}/${name}`
        const info = lstatSync(path.join(root, relPath))
        if (info.isDirectory()) pending.push(relPath)
        hash.update(`${relPath}\0${info.mode}\0${info.size}\0${info.ino}\0${info.ctimeMs}\n`)
      }
    }
  } catch {
    return undefined
  }
  return `sha256:${hash.digest('hex')}`
}
