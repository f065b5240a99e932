import {chmodSync, closeSync, constants, fchmodSync, linkSync, lstatSync, mkdirSync, openSync, symlinkSync, writeSync} from 'node:fs'
import {open} from 'node:fs/promises'
import path from 'node:path'

import type {ReadEntry} from 'tar/read-entry'

import {IntegrityError} from '../errors.js'
import {ancestorsOf, linkTargetProblem, normalizeEntryPath} from './archive-paths.js'
import {createdModeIs, currentUmask} from './umask.js'

const UNSAFE_HINT = 'the archive is unsafe or corrupt: do not install it; re-package the extension with "provisioning oci package"'

export function unsafeEntry(entryPath: string, reason: string): IntegrityError {
  return new IntegrityError(`unsafe archive entry "${entryPath}": ${reason}`, {hint: UNSAFE_HINT, details: {entry: entryPath, reason}})
}

/**
 * Metadata operations (mkdir, symlink, link, chmod) and files up to this size are done with
 * synchronous calls: each promise-based call is a round trip to libuv's thread pool that
 * costs more than the system call itself (an extension is mostly small files). Larger
 * files stream with positional writes in flight while the next chunks are decompressed.
 */
const SMALL_FILE_BYTES = 256 * 1024

/** Writes of one file's chunks in flight at once, and their bytes (each chunk is held until written). */
const MAX_WRITES_IN_FLIGHT = 4
const MAX_BYTES_IN_FLIGHT = 4 * 1024 * 1024

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile'])
const SPECIAL_TYPES: Record<string, string> = {
  CharacterDevice: 'character device',
  BlockDevice: 'block device',
  FIFO: 'FIFO',
}

/**
 * Only read and execute for group and others: an archive's 0777 would let any local user
 * rewrite the scripts of an installed extension, and setuid/setgid/sticky have no place
 * in one. The owner can always read, write (and list) what we extract.
 */
const fileMode = (mode: number | undefined) => ((mode ?? 0o644) & 0o755) | 0o600
const dirMode = (mode: number | undefined) => ((mode ?? 0o755) & 0o755) | 0o700

/**
 * Writes archive entries below a fresh, private root folder, refusing anything that
 * could land outside it. It never follows a link it did not check: every parent folder
 * of an entry must be a real folder (not a symlink or file, checked with lstat, so a
 * case-insensitive file system cannot alias one), files are created with
 * O_EXCL|O_NOFOLLOW, and an existing path is never overwritten.
 */
export class SafeTreeWriter {
  /** Non-directory entries, in archive order. */
  readonly files: string[] = []
  /** Bytes of regular-file content written. */
  bytes = 0

  private readonly realDirs = new Set<string>([''])
  private readonly symlinks = new Set<string>()
  private readonly regularFiles = new Set<string>()
  private readonly dirModes = new Map<string, number>()

  /** Read once per extraction: it decides which modes need a chmod after creation. */
  private readonly umask = currentUmask()

  constructor(private readonly root: string) {}

  private abs(canonical: string): string {
    return path.join(this.root, ...canonical.split('/'))
  }

  /**
   * Makes sure every ancestor of `canonical` is a real folder inside the root, creating
   * missing ones. The root is fresh and private and every path in it was made here, so
   * what exists is known; the file system is asked (lstat) only when mkdir finds a path
   * already there (a case-insensitive file system aliasing another entry).
   */
  private async ensureParents(canonical: string): Promise<void> {
    for (const ancestor of ancestorsOf(canonical)) {
      if (this.realDirs.has(ancestor)) continue
      if (this.symlinks.has(ancestor)) throw unsafeEntry(canonical, `would be written through the symlink "${ancestor}"`)
      if (this.regularFiles.has(ancestor)) throw unsafeEntry(canonical, `its parent "${ancestor}" is not a folder`)
      if (this.makeDir(ancestor)) this.dirModes.set(ancestor, 0o755)
      else {
        const info = lstatSync(this.abs(ancestor))
        if (info.isSymbolicLink()) throw unsafeEntry(canonical, `would be written through the symlink "${ancestor}"`)
        if (!info.isDirectory()) throw unsafeEntry(canonical, `its parent "${ancestor}" is not a folder`)
      }
      this.realDirs.add(ancestor)
    }
  }

  /** mkdir; false when the path already exists (whatever it is). */
  private makeDir(canonical: string): boolean {
    try {
      mkdirSync(this.abs(canonical))
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw error
    }
  }

  private known(canonical: string): boolean {
    return this.realDirs.has(canonical) || this.symlinks.has(canonical) || this.regularFiles.has(canonical)
  }

  /** Whether the archive held a regular file (or hardlink to one) at this canonical path. */
  hasFile(canonical: string): boolean {
    return this.regularFiles.has(canonical)
  }

  /** Checks one entry and writes it. Rejects (IntegrityError) on the first unsafe property. */
  async add(entry: ReadEntry, signal: AbortSignal, maxFileBytes: number): Promise<void> {
    try {
      await this.addEntry(entry, signal, maxFileBytes)
    } catch (error) {
      // The name checks keep paths short, but the root's own path counts too: what the
      // file system still finds too long is this entry's fault, not an internal error.
      if ((error as NodeJS.ErrnoException).code === 'ENAMETOOLONG') throw unsafeEntry(entry.path, 'has a path too long for this file system')
      throw error
    }
  }

  private async addEntry(entry: ReadEntry, signal: AbortSignal, maxFileBytes: number): Promise<void> {
    const normalized = normalizeEntryPath(entry.path)
    if (!normalized.ok) throw unsafeEntry(entry.path, normalized.reason)
    const canonical = normalized.path
    const special = SPECIAL_TYPES[entry.type]
    if (special) throw unsafeEntry(entry.path, `is a ${special}; device files and FIFOs are never extracted`)

    if (canonical === '') {
      if (entry.type !== 'Directory') throw unsafeEntry(entry.path, 'names the extraction root itself')
      entry.resume()
      return
    }
    await this.ensureParents(canonical)

    if (entry.type === 'Directory') {
      const nonFolder = () => unsafeEntry(entry.path, 'is a folder entry for a path that already exists as a non-folder')
      if (this.symlinks.has(canonical) || this.regularFiles.has(canonical)) throw nonFolder()
      if (!this.realDirs.has(canonical) && !this.makeDir(canonical) && !lstatSync(this.abs(canonical)).isDirectory()) throw nonFolder()
      this.realDirs.add(canonical)
      this.dirModes.set(canonical, dirMode(entry.mode))
      entry.resume()
      return
    }

    // Creating never replaces anything (O_EXCL, symlink, link all fail on an existing path).
    const twice = () => unsafeEntry(entry.path, 'appears twice in the archive (or collides with another entry)')
    if (this.known(canonical)) throw twice()
    const create = <T>(make: () => T): T => {
      try {
        return make()
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw twice()
        throw error
      }
    }

    if (FILE_TYPES.has(entry.type)) {
      // Refuse on the declared size before writing a byte; the stream counter in
      // extract.ts still catches headers that lie about their size.
      if (this.bytes + entry.size > maxFileBytes) {
        throw unsafeEntry(entry.path, `declares ${entry.size} bytes, which would pass the ${maxFileBytes}-byte limit of the archive`)
      }
      this.bytes += await this.writeFile(entry, canonical, signal, create)
      this.regularFiles.add(canonical)
    } else if (entry.type === 'SymbolicLink') {
      const target = entry.linkpath ?? ''
      const problem = linkTargetProblem(canonical, target)
      if (problem) throw unsafeEntry(entry.path, `symlink ${problem}`)
      create(() => symlinkSync(target, this.abs(canonical)))
      this.symlinks.add(canonical)
      entry.resume()
    } else if (entry.type === 'Link') {
      // Hardlink targets are archive paths (relative to the root, not to the entry).
      const target = normalizeEntryPath(entry.linkpath ?? '')
      if (!target.ok) throw unsafeEntry(entry.path, `hardlink target "${entry.linkpath}" ${target.reason}`)
      if (!this.regularFiles.has(target.path)) {
        throw unsafeEntry(entry.path, `hardlink target "${entry.linkpath}" is not a file extracted earlier from this archive`)
      }
      create(() => linkSync(this.abs(target.path), this.abs(canonical)))
      this.regularFiles.add(canonical)
      entry.resume()
    } else {
      throw unsafeEntry(entry.path, `has the unsupported entry type ${entry.type}`)
    }
    this.files.push(canonical)
  }

  /** Streams the entry body into a new file; gives up as soon as `signal` aborts. */
  private async writeFile(entry: ReadEntry, canonical: string, signal: AbortSignal, create: <T>(make: () => T) => T): Promise<number> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
    // Created with its final mode: the private staging folder hides it while incomplete.
    const mode = fileMode(entry.mode)
    if (entry.size <= SMALL_FILE_BYTES) {
      const data = await readBody(entry, signal)
      const fd = create(() => openSync(this.abs(canonical), flags, mode))
      try {
        for (let at = 0; at < data.length;) at += writeSync(fd, data, at, data.length - at)
        if (!createdModeIs(this.umask, mode, mode)) fchmodSync(fd, mode)
      } finally {
        closeSync(fd)
      }
      return data.length
    }
    const handle = await open(this.abs(canonical), flags, mode).catch((error: unknown) =>
      create(() => {
        throw error
      }),
    )
    let written = 0
    let onAbort: (() => void) | undefined
    try {
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        onAbort = () => reject(signal.reason)
        signal.addEventListener('abort', onAbort, {once: true})
        // Each chunk is written at its own offset, so order can never depend on which
        // write finishes first. A few writes may be in flight (the file system works
        // while the next chunks are decompressed); beyond that the entry is paused
        // (bounded memory: the parser, and through it the decompressor, wait), and the
        // file is done only once the entry ended AND every write has landed.
        let offset = 0
        let inFlight = 0
        let pendingBytes = 0
        let ended = false
        let paused = false
        entry.on('data', (chunk: Buffer) => {
          const at = offset
          offset += chunk.length
          inFlight++
          pendingBytes += chunk.length
          if (inFlight >= MAX_WRITES_IN_FLIGHT || pendingBytes >= MAX_BYTES_IN_FLIGHT) {
            paused = true
            entry.pause()
          }
          handle.write(chunk, 0, chunk.length, at).then(() => {
            written += chunk.length
            inFlight--
            pendingBytes -= chunk.length
            if (ended) {
              if (inFlight === 0) resolve()
              return
            }
            if (paused && inFlight < MAX_WRITES_IN_FLIGHT && pendingBytes < MAX_BYTES_IN_FLIGHT) {
              paused = false
              entry.resume()
            }
          }, reject)
        })
        entry.once('end', () => {
          ended = true
          if (inFlight === 0) resolve()
        })
        // Attaching 'data' may already have flowed (and paused) the entry.
        if (!paused) entry.resume()
      })
      // open() applied the umask: chmod only when that changed the mode.
      if (!createdModeIs(this.umask, mode, mode)) await handle.chmod(mode)
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort)
      await handle.close()
    }
    return written
  }

  /** Applies folder modes last, so a read-only folder entry cannot block its own contents. */
  async finish(): Promise<void> {
    for (const [canonical, mode] of this.dirModes) {
      // mkdir asked for 0777 minus the umask; most folders need nothing more.
      if (!createdModeIs(this.umask, 0o777, mode)) chmodSync(this.abs(canonical), mode)
    }
  }
}

/** The whole body of a (small) entry; rejects as soon as `signal` aborts. */
function readBody(entry: ReadEntry, signal: AbortSignal): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const chunks: Buffer[] = []
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, {once: true})
    entry.on('data', (chunk: Buffer) => chunks.push(chunk))
    entry.once('end', () => {
      signal.removeEventListener('abort', onAbort)
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
    })
    entry.resume()
  })
}
