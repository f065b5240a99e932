import {randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {chmodSync, mkdirSync, mkdtempSync, renameSync} from 'node:fs'
import {rename, rm, rmdir} from 'node:fs/promises'
import path from 'node:path'
import zlib from 'node:zlib'

import {Parser} from 'tar/parse'
import type {ReadEntry} from 'tar/read-entry'

import {IntegrityError, isProvisioningError} from '../errors.js'
import {SafeTreeWriter, unsafeEntry} from './safe-tree-writer.js'

/**
 * Safe extraction of extension tarballs (SPEC §8.3 "Extraction").
 *
 * What node-tar would already do for us, and why we still check everything ourselves:
 * its Unpack (tar.x) strips a leading `/` and skips `..` paths, refuses to write through
 * symlinks, skips devices and FIFOs, and (7.5+) caps the decompression ratio of its own
 * gunzip at 1000x. But it *repairs* hostile entries with a warning and carries on
 * (`/etc/x` becomes `etc/x`, an absolute symlink target is made relative), chowns files
 * when running as root, has no absolute size cap, and its Parser silently gunzips a
 * second time when the decompressed stream is itself gzip or zstd (a nested bomb that a
 * byte counter in front of it would not see). A tarball that needs repairing is not one
 * we want to install, so we use only node-tar's Parser (header, pax and GNU long-name
 * decoding, checksums, truncation detection in strict mode) and do every check and every
 * write ourselves (SafeTreeWriter), failing the whole archive on the first bad entry.
 */
export interface ArchiveLimits {
  /** Total uncompressed tar bytes (headers included). */
  maxBytes?: number
  /** Entries of any kind, folders included. */
  maxEntries?: number
  /** Uncompressed bytes may not exceed maxRatio x the compressed size. */
  maxRatio?: number
}

export const DEFAULT_ARCHIVE_LIMITS: Readonly<Required<ArchiveLimits>> = Object.freeze({
  maxBytes: 512 * 1024 * 1024,
  maxEntries: 20_000,
  maxRatio: 200,
})

/**
 * Below this many uncompressed bytes the ratio is not checked: a small tarball is mostly
 * zero padding (512-byte headers, GNU tar's 10 KiB records) and compresses far beyond
 * 200x without being a bomb. The absolute maxBytes cap still applies.
 */
export const RATIO_CHECK_FLOOR_BYTES = 1024 * 1024

export interface ExtractResult {
  /** Non-folder entries (files, symlinks, hardlinks) as canonical relative paths, in archive order. */
  files: string[]
  /** Bytes of file content written. */
  bytes: number
}

/** Compressed input gathered before one write to the decompressor. */
const INFLATE_INPUT_BYTES = 512 * 1024

const COMPRESSED_MAGIC = [Buffer.from([0x1f, 0x8b]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])]

function bomb(reason: string, details: Record<string, unknown>): IntegrityError {
  return new IntegrityError(`archive rejected as a decompression bomb: ${reason}`, {
    hint: 'the layer expands far beyond a normal extension; do not install it (raise the limits only for an archive you trust)',
    details,
  })
}

/** Every extension archive has this at its root (SPEC §8.2); without it nothing is installed. */
const MANIFEST_FILE = 'manifest.yaml'

function notAnExtension(target: string, files: string[]): IntegrityError {
  const nested = files.find((file) => file.endsWith(`/${MANIFEST_FILE}`))
  return new IntegrityError(`archive for ${target} has no ${MANIFEST_FILE} at its root, so it is not an extension; nothing was installed`, {
    hint: nested
      ? `it has ${nested}: entries must be relative to the extension folder; re-package it with "provisioning oci package DIR"`
      : 'the artifact was not packaged from an extension folder; re-package it with "provisioning oci package DIR"',
    details: {output: target, entries: files.slice(0, 10)},
  })
}

function asIntegrityError(error: unknown): Error {
  if (isProvisioningError(error)) return error
  // File-system trouble while writing (disk full, permissions) is not the archive's fault.
  if ((error as NodeJS.ErrnoException).syscall) return error as Error
  // Everything else comes from zlib (bad or truncated gzip) or the tar parser (strict mode).
  return new IntegrityError(`archive is corrupt or not a tar.gz: ${(error as Error).message}`, {
    hint: 'the layer blob is damaged or not an extension tarball; pull it again or re-package the extension',
    details: {cause: (error as Error).message},
  })
}

/**
 * Streams gunzip -> node-tar Parser -> SafeTreeWriter into `root`, enforcing the limits
 * on the decompressed byte stream as it flows, so a bomb is stopped after at most
 * maxBytes (or maxRatio x compressed size) and never fully written. Compressed bytes are
 * pushed in with write() (a whole buffer at once, or a download chunk by chunk), then
 * end(); abort() stops it and waits until no write into `root` is in flight.
 */
class Unpacker {
  private readonly writer: SafeTreeWriter
  private readonly abort = new AbortController()
  /** Aborted once the decompressed stream is no longer read (finished or failed). */
  private readonly stopped = new AbortController()
  private readonly gunzip: zlib.Gunzip
  private readonly done: Promise<ExtractResult | undefined>
  private failure: Error | undefined
  private ended = false
  private pending: Buffer[] = []
  private pendingBytes = 0

  constructor(
    root: string,
    private readonly target: string,
    private readonly limits: Required<ArchiveLimits>,
    private readonly compressedSize: number,
  ) {
    this.writer = new SafeTreeWriter(root)
    // Each decompressed chunk is one round trip to zlib's thread: 16 KiB chunks (the
    // default) make gunzip of a large layer several times slower than 256 KiB ones. The
    // limits are checked per chunk, so chunks stay at most 1/64 of maxBytes (and the
    // default size under small limits).
    const chunkSize = Math.min(256 * 1024, Math.max(zlib.constants.Z_DEFAULT_CHUNK, Math.floor(limits.maxBytes / 64)))
    this.gunzip = zlib.createGunzip({chunkSize, writableHighWaterMark: 1024 * 1024} as zlib.ZlibOptions)
    // run() never rejects (a failure is kept in this.failure), so nothing goes unhandled
    // while the caller is still writing.
    this.done = this.run().catch((error: unknown) => {
      this.fail(error)
      return undefined
    })
  }

  get failed(): Error | undefined {
    return this.failure
  }

  private fail(error: unknown): void {
    if (this.failure) return
    this.failure = asIntegrityError(error)
    this.abort.abort(this.failure)
  }

  /** Feeds compressed bytes, waiting while the pipeline is full. Never rejects: problems surface in end(). */
  async write(chunk: Buffer): Promise<void> {
    if (this.failure || this.ended || this.stopped.signal.aborted) return
    // Every write is one round trip to zlib's thread: download-sized pieces (~64 KiB)
    // are gathered into larger ones first.
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    if (this.pendingBytes >= INFLATE_INPUT_BYTES) await this.feed()
  }

  private async feed(): Promise<void> {
    if (this.pendingBytes === 0) return
    const input = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    if (!this.gunzip.write(input)) {
      await once(this.gunzip, 'drain', {signal: AbortSignal.any([this.abort.signal, this.stopped.signal])}).catch(() => undefined)
    }
  }

  /** No more input: waits for every entry to be written and checked. */
  async end(): Promise<ExtractResult> {
    if (!this.ended) {
      if (!this.failure && !this.stopped.signal.aborted) await this.feed()
      this.ended = true
      if (!this.failure && !this.gunzip.destroyed) this.gunzip.end()
    }
    const result = await this.done
    if (this.failure) throw this.failure
    return result as ExtractResult
  }

  /** Stops unpacking and resolves once no write into the root can still happen. */
  async cancel(reason: Error): Promise<void> {
    this.ended = true
    this.fail(reason)
    this.gunzip.destroy()
    await this.done
  }

  private async run(): Promise<ExtractResult | undefined> {
    const {limits, writer, abort} = this
    const fail = (error: unknown) => this.fail(error)
    const parser = new Parser({strict: true, zstd: false, brotli: false})
    let entries = 0
    let chain: Promise<void> = Promise.resolve()
    const countEntry = () => {
      entries += 1
      if (entries > limits.maxEntries) fail(bomb(`more than ${limits.maxEntries} entries`, {maxEntries: limits.maxEntries}))
    }
    parser.on('entry', (entry: ReadEntry) => {
      countEntry()
      // The parser emits the next entry only once this one's body is consumed, and the
      // chain runs the writes strictly in archive order.
      chain = chain.then(() => (this.failure ? undefined : writer.add(entry, abort.signal, limits.maxBytes))).catch(fail)
    })
    parser.on('ignoredEntry', (entry: ReadEntry) => {
      countEntry()
      fail(unsafeEntry(entry.path, `has an unsupported or oversized entry type (${entry.type})`))
    })
    parser.on('error', fail)
    const parsed = new Promise<void>((resolve) => parser.on('end', resolve))

    const gunzip = this.gunzip
    const compressedBytes = this.compressedSize
    let total = 0
    let head = Buffer.alloc(0)
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        if (this.failure) break
        total += chunk.length
        if (total > limits.maxBytes) {
          fail(bomb(`more than ${limits.maxBytes} uncompressed bytes`, {maxBytes: limits.maxBytes, uncompressedBytes: total, compressedBytes}))
          break
        }
        if (total > RATIO_CHECK_FLOOR_BYTES && total > limits.maxRatio * compressedBytes) {
          fail(bomb(`expands more than ${limits.maxRatio}x`, {maxRatio: limits.maxRatio, uncompressedBytes: total, compressedBytes}))
          break
        }
        if (head.length < 4) {
          head = Buffer.concat([head, chunk]).subarray(0, 4)
          if (COMPRESSED_MAGIC.some((magic) => head.length >= magic.length && head.subarray(0, magic.length).equals(magic))) {
            fail(
              new IntegrityError('archive is compressed twice (a gzip or zstd stream inside the gzip layer)', {
                hint: 'layers must be a single gzip of a tar stream',
                details: {},
              }),
            )
            break
          }
        }
        if (!parser.write(chunk)) await once(parser, 'drain', {signal: abort.signal}).catch(() => undefined)
      }
    } catch (error) {
      fail(error)
    } finally {
      this.stopped.abort()
      gunzip.destroy()
    }
    if (!this.failure) {
      parser.end()
      await Promise.race([parsed, once(abort.signal, 'abort').catch(() => undefined)])
    }
    await chain // every write has settled (writers give up on abort), so cleanup cannot race them
    if (this.failure) return undefined
    if (entries === 0) throw new IntegrityError('archive holds no entries', {hint: 'the layer is empty; re-package the extension', details: {}})
    if (!writer.hasFile(MANIFEST_FILE)) throw notAnExtension(this.target, writer.files)
    await writer.finish()
    return {files: writer.files, bytes: writer.bytes}
  }
}

/** Removes folders we created for the extraction (deepest first), if they are still empty. */
async function removeCreatedParents(dest: string, firstCreated: string | undefined): Promise<void> {
  if (!firstCreated) return
  for (let dir = path.dirname(dest); dir.length >= firstCreated.length; dir = path.dirname(dir)) {
    await rmdir(dir).catch(() => undefined)
    if (dir === firstCreated) break
  }
}

/**
 * Puts the finished tree at `dest`. If dest exists it is renamed aside first, then the new
 * tree renamed in, then the old one removed. Window: between the two renames `dest` does
 * not exist (a reader can miss it; a crash there leaves `.NAME.old-*` next to it, which the
 * next install of the same dest overwrites). Nothing ever sees a half-written tree.
 */
async function swapIntoPlace(staging: string, dest: string): Promise<void> {
  const aside = path.join(path.dirname(dest), `.${path.basename(dest)}.old-${randomBytes(4).toString('hex')}`)
  let movedAside = false
  try {
    renameSync(dest, aside)
    movedAside = true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  try {
    renameSync(staging, dest)
  } catch (error) {
    if (movedAside) await rename(aside, dest).catch(() => undefined)
    throw error
  }
  if (movedAside) await rm(aside, {recursive: true, force: true})
}

/**
 * An extraction fed chunk by chunk (e.g. straight from a download): unpacks into a fresh
 * temp folder next to `dest` (same file system) with every check of extractArchive.
 * Nothing appears at `dest` until commit(); abort() (or a failed end()/commit()) removes
 * the temp folder and leaves dest exactly as before.
 */
export class ArchiveExtraction {
  private committed = false

  private constructor(
    private readonly target: string,
    private readonly staging: string,
    private readonly firstCreated: string | undefined,
    private readonly unpacker: Unpacker,
  ) {}

  /** `compressedSize`: the full size of the archive (for the expansion ratio limit). */
  static async open(dest: string, compressedSize: number, limits: ArchiveLimits = {}): Promise<ArchiveExtraction> {
    const effective: Required<ArchiveLimits> = {...DEFAULT_ARCHIVE_LIMITS, ...stripUndefined(limits)}
    const target = path.resolve(dest)
    // Synchronous: two quick metadata calls, cheaper than two thread-pool round trips.
    const firstCreated = mkdirSync(path.dirname(target), {recursive: true})
    const staging = mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.extract-`))
    return new ArchiveExtraction(target, staging, firstCreated, new Unpacker(staging, target, effective, compressedSize))
  }

  /** The first problem found so far (unsafe entry, bomb, corrupt data, write error). */
  get failed(): Error | undefined {
    return this.unpacker.failed
  }

  /** Never rejects for archive problems: they are kept and thrown by end(). */
  write(chunk: Buffer): Promise<void> {
    return this.unpacker.write(chunk)
  }

  /** All input given: waits until every entry is checked and written (still in the temp folder). */
  end(): Promise<ExtractResult> {
    return this.unpacker.end()
  }

  /** Moves the finished tree to dest (call after end() resolved). */
  async commit(): Promise<void> {
    // mkdtemp made it private (0700) while incomplete; once in place it is a normal folder.
    chmodSync(this.staging, 0o755)
    await swapIntoPlace(this.staging, this.target)
    this.committed = true
  }

  /** Stops unpacking and removes everything it created; dest is untouched. */
  async abort(): Promise<void> {
    await this.unpacker.cancel(new Error('extraction aborted'))
    await rm(this.staging, {recursive: true, force: true})
    if (!this.committed) await removeCreatedParents(this.target, this.firstCreated)
  }
}

/**
 * Extracts a `.tar.gz` to `dest`: unpacks into a fresh temp folder next to dest (same
 * file system), then renames it into place. Unsafe entries (absolute or `..` paths, links
 * leaving the root, writes through a symlink, devices, FIFOs), corrupt data and
 * decompression bombs throw IntegrityError (exit 8); then the temp folder is removed and
 * dest is exactly as before.
 */
export async function extractArchive(data: Buffer, dest: string, limits: ArchiveLimits = {}): Promise<ExtractResult> {
  return extractFrom(dest, data.length, (extraction) => extraction.write(data), limits)
}

/**
 * The same for an archive that `feed` writes piece by piece (from a file, a download):
 * committed to dest once feed and every check succeeded, otherwise aborted (dest untouched).
 */
export async function extractFrom(
  dest: string,
  compressedSize: number,
  feed: (extraction: ArchiveExtraction) => Promise<void>,
  limits: ArchiveLimits = {},
): Promise<ExtractResult> {
  const extraction = await ArchiveExtraction.open(dest, compressedSize, limits)
  try {
    await feed(extraction)
    const result = await extraction.end()
    await extraction.commit()
    return result
  } catch (error) {
    await extraction.abort()
    throw error
  }
}

function stripUndefined(limits: ArchiveLimits): ArchiveLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined))
}
