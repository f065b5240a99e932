import {closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats} from 'node:fs'
import {type FileHandle, lstat, open, rm} from 'node:fs/promises'

/**
 * The one rule for reading content files that something outside may have put in place: a
 * blob cache entry, a blob or index.json of an OCI layout. Opened without following a
 * link (a link to /dev/zero would never end) and without blocking (a FIFO would wait
 * forever for a writer), then it must be a regular file of the expected size (or at most
 * `max` bytes when the size is not known), and at most that many bytes + 1 are ever read,
 * so a file growing meanwhile is caught too. Anything else is unusable: the caller treats
 * it as a miss (the cache, which then replaces it) or as damage (a layout, exit 8).
 */
export interface Expected {
  /** The exact size, when a descriptor gives it. */
  size?: number
  /** The most bytes accepted when the size is not known. */
  max: number
  /**
   * Follow a link to its target (config files, which dotfile managers link); the target
   * must still be a regular file within the bounds. Content files never follow links.
   */
  followLinks?: boolean
}

/** The file found at a path: dev/ino, to remove exactly that file and not a newer one. */
export interface Identity {
  dev: number
  ino: number
}

export type Unusable = {kind: 'unusable'; reason: string; identity?: Identity}
export type Missing = {kind: 'missing'}
export type OpenedFile = {kind: 'file'; handle: FileHandle; size: number; identity: Identity}
export type ReadFile = {kind: 'data'; data: Buffer; identity: Identity}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK
const openFlags = (expected: Expected) => (expected.followLinks ? OPEN_FLAGS & ~constants.O_NOFOLLOW : OPEN_FLAGS)

function problem(info: Stats, expected: Expected): string | undefined {
  if (!info.isFile()) return `not a regular file (${kindOf(info)})`
  if (expected.size !== undefined && info.size !== expected.size) return `size mismatch (expected ${expected.size} bytes, got ${info.size})`
  if (info.size > expected.max) return `${info.size} bytes, more than the ${expected.max} allowed`
  return undefined
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder'
  if (info.isFIFO()) return 'a FIFO'
  if (info.isSymbolicLink()) return 'a symbolic link'
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device'
  if (info.isSocket()) return 'a socket'
  return 'not a file'
}

const identityOf = (info: Stats): Identity => ({dev: info.dev, ino: info.ino})

/**
 * What an open() failure means: nothing there, or something there that is not a file we
 * may read (a link: ELOOP; a socket: ENXIO). Other errors (EACCES, EIO) are thrown.
 */
function openFailure(error: unknown, linkInfo: () => Stats | undefined): Missing | Unusable {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'ENOTDIR') return {kind: 'missing'}
  if (code === 'ELOOP' || code === 'ENXIO' || code === 'EISDIR') {
    const info = linkInfo()
    return info ? {kind: 'unusable', reason: `not a regular file (${kindOf(info)})`, identity: identityOf(info)} : {kind: 'missing'}
  }
  throw error
}

/** Opens the file under the rule; the caller reads it (at most size + 1 bytes) and closes it. */
export async function openUntrusted(file: string, expected: Expected): Promise<OpenedFile | Missing | Unusable> {
  let handle: FileHandle
  try {
    handle = await open(file, openFlags(expected))
  } catch (error) {
    const info = await lstat(file).catch(() => undefined)
    return openFailure(error, () => info)
  }
  const info = await handle.stat()
  const reason = problem(info, expected)
  if (reason) {
    await handle.close()
    return {kind: 'unusable', reason, identity: identityOf(info)}
  }
  return {kind: 'file', handle, size: info.size, identity: identityOf(info)}
}

const grew = (size: number, identity: Identity): Unusable => ({kind: 'unusable', reason: `more than its ${size} bytes (it grew while read)`, identity})

/**
 * The whole file under the rule. Its size passed the rule, so reading stops at size + 1
 * bytes: one more means it grew meanwhile (unusable), fewer is judged by the caller's digest.
 */
export async function readUntrusted(file: string, expected: Expected): Promise<ReadFile | Missing | Unusable> {
  const opened = await openUntrusted(file, expected)
  if (opened.kind !== 'file') return opened
  const buffer = Buffer.allocUnsafe(opened.size + 1)
  let length = 0
  try {
    for (;;) {
      const {bytesRead} = await opened.handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > opened.size) return grew(opened.size, opened.identity)
    }
  } finally {
    await opened.handle.close()
  }
  return {kind: 'data', data: buffer.subarray(0, length), identity: opened.identity}
}

/** readUntrusted in synchronous calls, for small files (see BlobCache: cheaper than the thread pool). */
export function readUntrustedSync(file: string, expected: Expected): ReadFile | Missing | Unusable {
  let fd: number
  try {
    fd = openSync(file, openFlags(expected))
  } catch (error) {
    let info: Stats | undefined
    try {
      info = lstatSync(file)
    } catch {
      info = undefined
    }
    return openFailure(error, () => info)
  }
  try {
    const info = fstatSync(fd)
    const reason = problem(info, expected)
    if (reason) return {kind: 'unusable', reason, identity: identityOf(info)}
    const buffer = Buffer.allocUnsafe(info.size + 1)
    let length = 0
    for (;;) {
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > info.size) return grew(info.size, identityOf(info))
    }
    return {kind: 'data', data: buffer.subarray(0, length), identity: identityOf(info)}
  } finally {
    closeSync(fd)
  }
}

/**
 * Removes what was found unusable, but only if the path still names it: another process
 * may have renamed a good file into place meanwhile, and that one must stay. A folder goes
 * with its contents (rm never follows the links in it).
 */
export async function removeIfUnchanged(file: string, identity: Identity | undefined): Promise<void> {
  if (!identity) return
  const now = await lstat(file).catch(() => undefined)
  if (now && now.dev === identity.dev && now.ino === identity.ino) await rm(file, {force: true, recursive: now.isDirectory()})
}
