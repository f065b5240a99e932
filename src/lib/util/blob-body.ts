import {IntegrityError, NotFoundError} from '../errors.js'
import {openUntrusted, readUntrusted} from './untrusted-file.js'

/**
 * Content that is either in memory or, when large, a file on disk that is streamed, never
 * read whole (a packaged archive, a blob of an OCI layout). A file body is not trusted:
 * whoever consumes it hashes it and checks it against what it should be.
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
    for await (const chunk of opened.handle.createReadStream({
      highWaterMark: FILE_READ_BYTES,
      start: 0,
      end: body.size,
      autoClose: false,
    }) as AsyncIterable<Buffer>) {
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
  if (reason === 'it is gone')
    return new NotFoundError(`${body.file} disappeared before it was read`, {
      hint: 'something removed it meanwhile; run the command again',
      details: {file: body.file},
    })
  return new IntegrityError(`${body.file} cannot be used as blob content: ${reason}`, {
    hint: 'the file changed or is not what it claims; copy the artifact again from a trusted source',
    details: {file: body.file, expectedSize: body.size},
  })
}
