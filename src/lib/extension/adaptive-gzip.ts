import {once} from 'node:events'
import zlib from 'node:zlib'

import {looksIncompressible} from './entropy.js'

/**
 * Fixed deflate settings for compressible pieces: the bytes must not depend on library
 * defaults. Level 9 as before this module existed, so that archives of text (nearly every
 * extension) kept their digests.
 */
const COMPRESS = {level: 9, memLevel: 8, windowBits: 15, strategy: zlib.constants.Z_DEFAULT_STRATEGY}
/** Incompressible pieces go into stored deflate blocks: ~5 bytes per 64 KiB, no search. */
const STORE_LEVEL = 0
/** RFC 1952 OS byte for Unix; zlib stamps the build platform (macOS writes 19, Windows 10). */
const GZIP_OS_UNIX = 3
const OS_BYTE_OFFSET = 9

/**
 * One standard gzip member (any gunzip reads it) whose deflate level is chosen per piece
 * of input: level 9 for pieces that look compressible, stored blocks for random-looking
 * ones (entropy.ts). A change of level is a zlib params() call, which first ends the
 * current block with a sync flush; the pieces are fixed-size (tar-stream.ts), so the
 * output is a function of the input bytes. The header carries no name or timestamp
 * (node's zlib never writes either) and the OS byte is pinned.
 */
export class AdaptiveGzip {
  // Gzip has params() at runtime (it shares Deflate's prototype); the typings omit it.
  private gzip?: zlib.Gzip
  private level = COMPRESS.level
  private drained?: Promise<void>
  private offset = 0
  uncompressedSize = 0

  constructor(private readonly sink: (chunk: Buffer) => Promise<void> | void) {}

  private open(level: number): zlib.Gzip {
    const gzip = zlib.createGzip({...COMPRESS, level, chunkSize: 256 * 1024})
    this.level = level
    this.drained = (async () => {
      for await (const chunk of gzip as AsyncIterable<Buffer>) {
        if (this.offset <= OS_BYTE_OFFSET && OS_BYTE_OFFSET < this.offset + chunk.length) chunk[OS_BYTE_OFFSET - this.offset] = GZIP_OS_UNIX
        this.offset += chunk.length
        await this.sink(chunk)
      }
    })()
    // Failures surface through drained (awaited by end()); nothing may go unhandled before.
    this.drained.catch(() => undefined)
    return gzip
  }

  /** Takes one piece (kept by reference until compressed). */
  async write(piece: Buffer): Promise<void> {
    const level = looksIncompressible(piece) ? STORE_LEVEL : COMPRESS.level
    this.gzip ??= this.open(level)
    const gzip = this.gzip
    if (level !== this.level) {
      await Promise.race([
        new Promise<void>((resolve) => (gzip as zlib.Gzip & zlib.ZlibParams).params(level, COMPRESS.strategy, () => resolve())),
        this.drained,
      ])
      this.level = level
    }
    this.uncompressedSize += piece.length
    if (!gzip.write(piece)) await Promise.race([once(gzip, 'drain'), this.drained])
  }

  /** Finishes the member and waits until the sink has every byte. */
  async end(): Promise<void> {
    this.gzip ??= this.open(COMPRESS.level)
    this.gzip.end()
    await this.drained
  }
}
