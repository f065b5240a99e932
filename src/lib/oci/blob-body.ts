import {IntegrityError, NotFoundError} from '../errors.js'
import {StreamingDigest} from './digest.js'
import type {StreamBody} from './http-transport.js'
import {openUntrusted, readUntrusted} from '../util/untrusted-file.js'

/**
 * Blob content as it travels between stores: in memory, or a file on disk for large
 * blobs (a packaged layer, a blob of an OCI layout) that is streamed, never read whole.
 * A file body is not trusted: whoever consumes it hashes it and checks the digest.
 */
export type BlobBody = Buffer | BlobFile

export interface BlobFile {
  readonly file: string
  readonly size: number
  /** Told how many bytes of this reading have been read so far (progress of a send). */
  readonly onRead?: (bytes: number) => void
}

export function isBlobFile(body: BlobBody): body is BlobFile {
  return !Buffer.isBuffer(body)
}

export function bodySize(body: BlobBody): number {
  return isBlobFile(body) ? body.size : body.byteLength
}

/** Read size for file bodies: large reads keep the syscall and hashing overhead low. */
export const FILE_READ_BYTES = 1024 * 1024

/**
 * The body's bytes in order (a file is read in FILE_READ_BYTES pieces, at most size + 1
 * bytes, and only if it is a regular file of that size: untrusted-file.ts).
 */
export async function* bodyChunks(body: BlobBody): AsyncGenerator<Buffer> {
  if (!isBlobFile(body)) {
    yield body
    return
  }
  const opened = await openUntrusted(body.file, {size: body.size, max: body.size})
  if (opened.kind !== 'file') throw unusableFile(body, opened.kind === 'missing' ? 'it is gone' : opened.reason)
  try {
    let read = 0
    for await (const chunk of opened.handle.createReadStream({highWaterMark: FILE_READ_BYTES, start: 0, end: body.size, autoClose: false}) as AsyncIterable<Buffer>) {
      read += chunk.byteLength
      body.onRead?.(read)
      yield chunk
    }
  } finally {
    await opened.handle.close()
  }
}

/** The whole body in memory (for small blobs and engines that need a buffer). */
export async function bodyBuffer(body: BlobBody): Promise<Buffer> {
  if (!isBlobFile(body)) return body
  const found = await readUntrusted(body.file, {size: body.size, max: body.size})
  if (found.kind !== 'data') throw unusableFile(body, found.kind === 'missing' ? 'it is gone' : found.reason)
  return found.data
}

function unusableFile(body: BlobFile, reason: string): Error {
  if (reason === 'it is gone') return new NotFoundError(`${body.file} disappeared before it was read`, {hint: 'something removed it meanwhile; run the command again', details: {file: body.file}})
  return new IntegrityError(`${body.file} cannot be used as blob content: ${reason}`, {hint: 'the file changed or is not what it claims; copy the artifact again from a trusted source', details: {file: body.file, expectedSize: body.size}})
}

/**
 * A file body sent as a stream and hashed on the way: after the send, verify() throws an
 * IntegrityError when the bytes that went out (the last time the stream was opened) do
 * not match the descriptor. The receiver checks the digest too, so damaged content is
 * refused there, and verify() turns that refusal into the exit-8 error it is.
 */
export function verifyingStream(body: BlobFile, descriptor: {digest: string; size: number}, what: string): {stream: StreamBody; sent: () => boolean; verify: () => void} {
  let check: StreamingDigest | undefined
  const stream: StreamBody = {
    length: body.size,
    async *open() {
      const attempt = new StreamingDigest(descriptor, what)
      check = attempt
      for await (const chunk of bodyChunks(body)) {
        // Counted before the chunk goes out: the receiver may answer as soon as it has the
        // last byte, before this generator is resumed once more.
        attempt.update(chunk)
        yield chunk
      }
    },
  }
  return {
    stream,
    /** Every byte of the body went out (the receiver saw all of it). */
    sent: () => check !== undefined && check.bytes >= body.size,
    verify() {
      if (!check) throw new Error(`${what}: verify() before the body was sent`)
      check.verify()
    },
  }
}
