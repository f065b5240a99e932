import {lstatSync, opendirSync, readlinkSync} from 'node:fs'
import path from 'node:path'

/** Past this many entries a folder gets no fingerprint: it is packaged and checked every time. */
const MAX_ENTRIES = 20_000
const MAX_DEPTH = 64
/**
 * A change within this long before the walk may share its timestamps with the state the walk
 * saw (file systems stamp with a coarse clock): such a folder is not "settled", and what was
 * learned from its content is not remembered (git's "racily clean" entries, same reason).
 */
const SETTLE_NS = 2_000_000_000n

export interface FolderFingerprint {
  /** Every entry's path, type, inode, mode, owner, size, times and link target, in one string. */
  text: string
  /** No entry changed in the last two seconds: the text stands for the content read after it. */
  settled: boolean
}

/**
 * What an extension folder looks like from its metadata alone, so a fact learned from its
 * content (the digest it packages to) can be remembered and trusted while nothing in it
 * changed. Every entry counts, ignored ones too (an edit to .provisioningignore changes what
 * is packaged). Undefined when the folder cannot be walked whole or is too large: the caller
 * then reads the content, as without a fingerprint.
 */
export function folderFingerprint(dir: string): FolderFingerprint | undefined {
  const lines: string[] = []
  let newest = 0n
  const visit = (relative: string, depth: number): boolean => {
    if (depth > MAX_DEPTH) return false
    const names = listBounded(path.join(dir, relative), MAX_ENTRIES - lines.length)
    if (!names) return false
    for (const name of names.sort()) {
      if (lines.length >= MAX_ENTRIES) return false
      const entry = relative === '' ? name : `${relative}/${name}`
      const full = path.join(dir, entry)
      const info = lstatSync(full, {bigint: true})
      const link = info.isSymbolicLink() ? readlinkSync(full) : ''
      lines.push(
        [JSON.stringify(entry), info.dev, info.ino, info.mode, info.uid, info.nlink, info.size, info.mtimeNs, info.ctimeNs, JSON.stringify(link)].join(' '),
      )
      if (info.mtimeNs > newest) newest = info.mtimeNs
      if (info.ctimeNs > newest) newest = info.ctimeNs
      if (info.isDirectory() && !visit(entry, depth + 1)) return false
    }
    return true
  }
  try {
    const root = lstatSync(dir, {bigint: true})
    if (!root.isDirectory()) return undefined
    lines.push(['.', root.dev, root.ino, root.mode, root.uid].join(' '))
    if (!visit('', 0)) return undefined
  } catch {
    return undefined
  }
  return {text: lines.join('\n'), settled: newest < BigInt(Date.now()) * 1_000_000n - SETTLE_NS}
}

/** The names in a folder, or undefined past `max` of them: a huge folder is never read whole. */
function listBounded(folder: string, max: number): string[] | undefined {
  const handle = opendirSync(folder)
  try {
    const names: string[] = []
    for (let entry = handle.readSync(); entry; entry = handle.readSync()) {
      if (names.length >= max) return undefined
      names.push(entry.name)
    }
    return names
  } finally {
    handle.closeSync()
  }
}
