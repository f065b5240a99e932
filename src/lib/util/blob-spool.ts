import {createHash} from 'node:crypto'
import {type FileHandle, mkdir, open, rm} from 'node:fs/promises'

import type {BlobBody} from './blob-body.js'
import {spoolPathIn} from './temp-name.js'

/** Content up to this size stays in memory; beyond it the spool moves to a temp file. */
export const SPOOL_MEMORY_BYTES = 8 * 1024 * 1024

export interface SpooledBlob {
  digest: string
  size: number
  body: BlobBody
  /** Removes the temp file (if any); the body is unusable afterwards. */
  dispose(): Promise<void>
}

/**
 * Collects content produced once (packaging) while hashing it, in memory or, past
 * SPOOL_MEMORY_BYTES, in a temp file under `dir`: the digest is known as soon as the
 * content is, and a large blob can then be checked for and sent without ever being
 * held whole. Without `dir` everything stays in memory.
 */
export class BlobSpool {
  private readonly hash = createHash('sha256')
  private chunks: Buffer[] = []
  private size = 0
  private file?: string
  private handle?: FileHandle
  private writing: Promise<unknown> = Promise.resolve()

  constructor(private readonly dir?: string) {}

  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk)
    this.size += chunk.length
    this.chunks.push(chunk)
    if (!this.dir) return
    if (!this.handle && this.size > SPOOL_MEMORY_BYTES) {
      await mkdir(this.dir, {recursive: true})
      this.file = spoolPathIn(this.dir)
      this.handle = await open(this.file, 'wx', 0o600)
    }
    if (this.handle) await this.flush()
  }

  /** One write in flight while the next chunks gather (the producer keeps going). */
  private async flush(): Promise<void> {
    await this.writing
    const batch = this.chunks
    this.chunks = []
    const handle = this.handle as FileHandle
    this.writing = writeAll(handle, batch)
  }

  async finish(): Promise<SpooledBlob> {
    const digest = `sha256:${this.hash.digest('hex')}`
    if (!this.handle) {
      const data = Buffer.concat(this.chunks, this.size)
      this.chunks = []
      return {digest, size: this.size, body: data, dispose: async () => undefined}
    }
    try {
      await this.flush()
      await this.writing
    } finally {
      await this.handle.close()
    }
    const file = this.file as string
    return {digest, size: this.size, body: {file, size: this.size}, dispose: () => rm(file, {force: true})}
  }

  /** After a failure: drops everything written so far. */
  async abort(): Promise<void> {
    this.chunks = []
    await this.writing.catch(() => undefined)
    await this.handle?.close().catch(() => undefined)
    if (this.file) await rm(this.file, {force: true})
  }
}

async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length;) {
      const {bytesWritten} = await handle.write(chunk, at, chunk.length - at)
      at += bytesWritten
    }
  }
}
