import {closeSync, constants, openSync, readSync} from 'node:fs'
import {open} from 'node:fs/promises'
import path from 'node:path'

import {IntegrityError} from '../errors.js'
import type {ExtensionEntry} from './extension-dir.js'
import {dataPadding, encodeHeader, endOfArchive, type TarEntry} from './tar-writer.js'

/**
 * The tar stream is produced in pieces of exactly this size (the last one shorter): the
 * compressor decides per piece, so the boundaries must depend on the archive bytes alone.
 */
export const TAR_PIECE_BYTES = 1024 * 1024

/** Files up to this size are read with synchronous calls (putSmallFile). */
const SMALL_FILE_BYTES = 256 * 1024

/** Any exec bit makes a file 0755; everything else 0644, whatever the umask or owner. */
function normalizedMode(entry: ExtensionEntry): number {
  if (entry.kind === 'directory') return 0o755
  if (entry.kind === 'symlink') return 0o777
  return entry.mode & 0o111 ? 0o755 : 0o644
}

function changed(entry: ExtensionEntry): IntegrityError {
  return new IntegrityError(`${entry.path} changed while it was being packaged`, {hint: 'package again once the folder is stable', details: {path: entry.path}})
}

/** Fills fixed-size pieces; file data is read straight into them (no whole-file buffers). */
class PieceWriter {
  private piece = Buffer.allocUnsafe(TAR_PIECE_BYTES)
  private fill = 0
  readonly full: Buffer[] = []
  total = 0

  private advance(bytes: number): void {
    this.fill += bytes
    this.total += bytes
    if (this.fill === TAR_PIECE_BYTES) {
      // Handed on by reference (to zlib): a new piece, never a reused one.
      this.full.push(this.piece)
      this.piece = Buffer.allocUnsafe(TAR_PIECE_BYTES)
      this.fill = 0
    }
  }

  put(bytes: Buffer): void {
    for (let at = 0; at < bytes.length;) {
      const n = bytes.copy(this.piece, this.fill, at)
      at += n
      this.advance(n)
    }
  }

  /**
   * A small file read with synchronous calls (a thread-pool round trip per call would cost
   * more than the calls), straight into the piece when it fits; otherwise putFile.
   */
  putSmallFile(root: string, entry: ExtensionEntry): boolean {
    if (entry.size + 1 > TAR_PIECE_BYTES - this.fill) return false
    const fd = openSync(path.join(root, entry.path), constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      // One byte more than the file should hold: a file that grew shows in the count.
      let got = 0
      for (;;) {
        const n = readSync(fd, this.piece, this.fill + got, entry.size + 1 - got, null)
        if (n === 0) break
        got += n
        if (got > entry.size) break
      }
      if (got !== entry.size) throw changed(entry)
      this.advance(got)
      return true
    } finally {
      closeSync(fd)
    }
  }

  /** Reads exactly `entry.size` bytes of a file opened without following a symlink swapped in since the walk. */
  async putFile(root: string, entry: ExtensionEntry, flushFull: () => Promise<void>): Promise<void> {
    const handle = await open(path.join(root, entry.path), constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      let left = entry.size
      // Each read asks for one byte more than the file should still hold when the piece
      // has room for it: a file that grew shows without a separate probe read.
      let probed = false
      while (left > 0 || !probed) {
        const room = TAR_PIECE_BYTES - this.fill
        const ask = Math.min(left + 1, room)
        probed = ask === left + 1
        const {bytesRead} = await handle.read(this.piece, this.fill, ask, null)
        if (bytesRead > left || (bytesRead === 0 && left > 0)) throw changed(entry)
        left -= bytesRead
        // Only the file's bytes count; a probed extra byte was never read.
        this.advance(bytesRead)
        if (this.full.length > 0) await flushFull()
        if (bytesRead === 0) break
      }
    } finally {
      await handle.close()
    }
  }

  rest(): Buffer | undefined {
    return this.fill > 0 ? this.piece.subarray(0, this.fill) : undefined
  }
}

/**
 * The deterministic tar stream of an extension's entries (sorted by the walk), in pieces
 * of TAR_PIECE_BYTES: one fixed mtime, uid/gid 0, normalized modes (tar-writer.ts).
 * `consume` receives each piece in order and may keep it.
 */
export async function writeTarPieces(root: string, entries: ExtensionEntry[], mtime: number, consume: (piece: Buffer) => Promise<void>): Promise<number> {
  const out = new PieceWriter()
  const flushFull = async () => {
    for (const piece of out.full.splice(0)) await consume(piece)
  }
  for (const entry of entries) {
    const tarEntry: TarEntry = {
      path: entry.kind === 'directory' ? `${entry.path}/` : entry.path,
      type: entry.kind === 'directory' ? 'Directory' : entry.kind === 'symlink' ? 'SymbolicLink' : 'File',
      mode: normalizedMode(entry),
      mtime,
      size: entry.kind === 'file' ? entry.size : 0,
      linkpath: entry.linkTarget,
    }
    out.put(encodeHeader(tarEntry))
    if (entry.kind === 'file') {
      await flushFull()
      if (entry.size > SMALL_FILE_BYTES || !out.putSmallFile(root, entry)) await out.putFile(root, entry, flushFull)
      out.put(dataPadding(entry.size))
    }
    await flushFull()
  }
  out.put(endOfArchive())
  await flushFull()
  const rest = out.rest()
  if (rest) await consume(rest)
  return out.total
}
