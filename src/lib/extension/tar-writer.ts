import {Header} from 'tar/header'
import {Pax} from 'tar/pax'

/**
 * A minimal, fully deterministic tar writer.
 *
 * Why not node-tar's Pack / create({portable: true})? It walks and stats the file system
 * itself, and several things it then writes depend on the machine rather than the folder:
 * - modes: `portable` computes `(mode | 0o600) & ~0o022`, so a 0600 file stays 0600 and
 *   a 0744 file stays 0744; the archive would change with the packager's umask;
 * - directories: `portable` drops their mtime entirely instead of using the fixed one;
 * - hardlinks: files with nlink > 1 become Link entries, so the same content packs
 *   differently after a plain `cp -r`;
 * - FIFOs, sockets and devices are silently skipped instead of rejected.
 * So we walk and normalize ourselves (extension-dir.ts, package.ts) and only borrow
 * node-tar's Header and Pax encoders for the byte layout (octal fields, checksum, ustar
 * prefix split, pax records for long or non-ASCII names).
 */
export interface TarEntry {
  /** Archive name; folders end with `/`. */
  path: string
  type: 'File' | 'Directory' | 'SymbolicLink'
  mode: number
  /** Seconds since the epoch. */
  mtime: number
  size: number
  linkpath?: string
}

const BLOCK = 512

/** The header block(s) of one entry: a pax header first when ustar fields cannot hold a value. */
export function encodeHeader(entry: TarEntry): Buffer {
  const mtime = new Date(entry.mtime * 1000)
  const header = new Header({
    path: entry.path,
    type: entry.type,
    mode: entry.mode,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    size: entry.size,
    mtime,
    linkpath: entry.linkpath ?? '',
    devmaj: 0,
    devmin: 0,
  })
  const needsPax = header.encode()
  const block = header.block as Buffer
  if (!needsPax) return block
  // Only path/linkpath/size/mtime go into the pax record: never atime, ctime, uid or
  // anything else that describes the packaging machine.
  const pax = new Pax({path: entry.path, linkpath: entry.linkpath, mtime, size: entry.size}).encode()
  return Buffer.concat([pax, block])
}

/** Zero bytes that round file data up to a whole block. */
export function dataPadding(size: number): Buffer {
  const remainder = size % BLOCK
  return Buffer.alloc(remainder === 0 ? 0 : BLOCK - remainder)
}

/** End of archive: two zero blocks. No record padding (GNU tar's 10 KiB) is needed. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK)
}
