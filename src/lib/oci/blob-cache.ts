import {closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync} from 'node:fs'
import {type FileHandle, mkdir, open, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {IntegrityError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {FILE_READ_BYTES} from '../util/blob-body.js'
import {tempPathFor} from '../util/temp-name.js'
import {digestHex, verifyContent} from './digest.js'
import {MAX_DOCUMENT_BYTES} from './limits.js'
import type {Descriptor} from './media-types.js'
import {type Expected, type Identity, openUntrusted, readUntrusted, readUntrustedSync, removeIfUnchanged} from '../util/untrusted-file.js'

/**
 * Content-addressed blob cache (`blobs/sha256/<hex>`, SPEC §4). Only verified content
 * is stored, writes are atomic, and a cached entry that fails verification on read is
 * dropped (and refetched by the caller) instead of being used.
 *
 * Every read (get, through, openEntry and so hasIntactBlob and the unpacking from the
 * cache) opens entries under one rule (untrusted-file.ts, via expectedOf): no link
 * followed, no blocking open, a regular file of the descriptor's size (a document cap when
 * the size is unknown), at most size + 1 bytes read. An entry breaking it is a miss and is
 * removed, so the fetch that follows replaces it.
 */
export class BlobCache {
  constructor(readonly dir: string) {}

  file(digest: string): string {
    return path.join(this.dir, 'blobs', 'sha256', digestHex(digest))
  }

  /**
   * The verified entry, or undefined (a miss). Without a size the entry is a manifest
   * looked up by digest, so the document cap bounds it.
   */
  async get(descriptor: Pick<Descriptor, 'digest'> & {size?: number}): Promise<Buffer | undefined> {
    const file = this.file(descriptor.digest)
    const expected = expectedOf(descriptor)
    let found
    try {
      found = small(descriptor.size) ? readUntrustedSync(file, expected) : await readUntrusted(file, expected)
    } catch {
      return undefined // unreadable (permissions, I/O): a miss, the fetch's put() replaces it
    }
    if (found.kind === 'missing') return undefined
    if (found.kind === 'unusable') {
      await removeIfUnchanged(file, found.identity)
      return undefined
    }
    try {
      verifyContent(found.data, descriptor, `cached blob ${descriptor.digest}`)
      return found.data
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error
      await removeIfUnchanged(file, found.identity)
      return undefined
    }
  }

  async put(descriptor: Pick<Descriptor, 'digest'> & {size?: number}, data: Buffer): Promise<void> {
    verifyContent(data, descriptor, `blob ${descriptor.digest}`)
    // No fsync: after a crash an entry is at worst damaged, and damaged entries are
    // detected on read, dropped and fetched again.
    if (small(data.byteLength)) this.putSync(descriptor.digest, data)
    else await writeFileAtomic(this.file(descriptor.digest), data, {durable: false})
  }

  /** Temp file + rename, like writeFileAtomic, in synchronous calls (see small()). */
  private putSync(digest: string, data: Buffer): void {
    const file = this.file(digest)
    const temp = tempPathFor(file)
    const create = () => openSync(temp, 'wx', 0o644)
    let fd: number
    try {
      fd = create()
    } catch (error) {
      // The folder is made on first use (and again if someone removed it meanwhile).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      mkdirSync(path.dirname(file), {recursive: true})
      fd = create()
    }
    try {
      try {
        for (let at = 0; at < data.length;) at += writeSync(fd, data, at, data.length - at)
      } finally {
        closeSync(fd)
      }
      renameSync(temp, file)
    } catch (error) {
      rmSync(temp, {force: true})
      throw error
    }
  }

  /**
   * A cache entry written piece by piece (from a download): the bytes go to a temp file
   * next to the entry, which only commit() renames into place. The caller verifies the
   * content (digest and size) before commit(); abort() removes the temp file.
   */
  async writer(descriptor: Pick<Descriptor, 'digest'>): Promise<BlobCacheWriter> {
    const file = this.file(descriptor.digest)
    await mkdir(path.dirname(file), {recursive: true})
    const temp = tempPathFor(file)
    return new BlobCacheWriter(file, temp, await open(temp, 'wx', 0o644))
  }

  /**
   * An entry opened to be read in FILE_READ_BYTES pieces, for blobs too large to read whole;
   * undefined when there is none or it breaks the rule (then it is removed). NOT verified:
   * the reader hashes the pieces (StreamingDigest). At most size + 1 bytes are read, so an
   * entry that grew is detected without reading all of it. `unusable` hears why an entry
   * was removed (for callers that must report it rather than fetch again).
   */
  async openEntry(descriptor: Pick<Descriptor, 'digest' | 'size'>, unusable?: (reason: string) => void): Promise<CacheEntry | undefined> {
    const file = this.file(descriptor.digest)
    let opened
    try {
      opened = await openUntrusted(file, expectedOf(descriptor))
    } catch {
      return undefined
    }
    if (opened.kind === 'missing') return undefined
    if (opened.kind === 'unusable') {
      await removeIfUnchanged(file, opened.identity)
      unusable?.(opened.reason)
      return undefined
    }
    return new CacheEntry(file, opened.handle, opened.identity, descriptor.size)
  }

  /** Fetches through the cache: a cached digest is never fetched again. */
  /**
   * Forgets an entry whose content checked out by digest but was refused for what it holds
   * (an unsafe archive): refused content leaves nothing behind, and a next run asks again.
   */
  async remove(descriptor: Pick<Descriptor, 'digest'>): Promise<void> {
    await rm(this.file(descriptor.digest), {force: true})
  }

  async through(descriptor: Descriptor, fetch: () => Promise<Buffer>): Promise<{data: Buffer; cached: boolean}> {
    const hit = await this.get(descriptor)
    if (hit) return {data: hit, cached: true}
    const data = await fetch()
    await this.put(descriptor, data)
    return {data, cached: false}
  }
}

/** What the cache accepts at an entry's path for this descriptor (see the class comment). */
function expectedOf(descriptor: {size?: number}): Expected {
  return descriptor.size === undefined ? {max: MAX_DOCUMENT_BYTES} : {size: descriptor.size, max: descriptor.size}
}

/**
 * Blobs up to this size are read and written with synchronous calls: a promise-based call
 * is a round trip to libuv's thread pool that costs more than the system call itself, and
 * most blobs (configs, manifests, small layers) are a few KiB.
 */
const SMALL_BLOB_BYTES = 256 * 1024
const small = (size: number | undefined) => size !== undefined && size >= 0 && size <= SMALL_BLOB_BYTES

/** Bytes gathered before one write to the temp file (a download arrives in ~64 KiB pieces). */
const WRITE_BATCH_BYTES = 1024 * 1024

export class BlobCacheWriter {
  private closed = false
  private batch: Uint8Array[] = []
  private batchBytes = 0
  /** At most one write in flight; its failure is kept and thrown by the next call. */
  private inflight: Promise<void> = Promise.resolve()
  private failure: Error | undefined

  constructor(
    private readonly file: string,
    private readonly temp: string,
    private readonly handle: FileHandle,
  ) {}

  /** Queues the chunk (kept by reference: callers must not reuse it). */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure
    this.batch.push(chunk)
    this.batchBytes += chunk.byteLength
    if (this.batchBytes >= WRITE_BATCH_BYTES || this.batch.length >= 256) await this.flush()
  }

  /** Waits for the previous write, then starts writing the gathered batch. */
  private async flush(): Promise<void> {
    await this.inflight
    if (this.failure) throw this.failure
    const batch = this.batch
    this.batch = []
    this.batchBytes = 0
    this.inflight = writeAll(this.handle, batch).catch((error: Error) => {
      this.failure = error
    })
  }

  private async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.inflight
    await this.handle.close()
  }

  /** Only for verified content. No fsync, as for put(): entries are verified on read. */
  async commit(): Promise<void> {
    try {
      await this.flush()
      await this.inflight
      if (this.failure) throw this.failure
      await this.close()
      await rename(this.temp, this.file)
    } catch (error) {
      await this.abort()
      throw error
    }
  }

  async abort(): Promise<void> {
    this.batch = []
    await this.close().catch(() => undefined)
    await rm(this.temp, {force: true})
  }
}

async function writeAll(handle: FileHandle, chunks: Uint8Array[]): Promise<void> {
  let pending = chunks
  while (pending.length > 0) {
    const {bytesWritten} = await handle.writev(pending)
    // A short write (rare for files) continues where it stopped.
    let skip = bytesWritten
    const rest: Uint8Array[] = []
    for (const chunk of pending) {
      if (skip >= chunk.byteLength) {
        skip -= chunk.byteLength
        continue
      }
      rest.push(skip > 0 ? chunk.subarray(skip) : chunk)
      skip = 0
    }
    pending = rest
  }
}

/** One open cache entry (BlobCache.openEntry): its pieces, and removal of exactly this file. */
export class CacheEntry {
  constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private readonly identity: Identity,
    private readonly size: number,
  ) {}

  chunks(): AsyncIterable<Buffer> {
    return this.handle.createReadStream({highWaterMark: FILE_READ_BYTES, start: 0, end: this.size, autoClose: false}) as AsyncIterable<Buffer>
  }

  /**
   * Drops the entry found damaged, so that it is fetched again, but only if the path still
   * names the file that was read: another process may have renamed a good entry into place
   * meanwhile, and that one must stay.
   */
  removeIfUnchanged(): Promise<void> {
    return removeIfUnchanged(this.file, this.identity)
  }

  close(): Promise<void> {
    return this.handle.close()
  }
}
