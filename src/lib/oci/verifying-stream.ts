import {type BlobFile, bodyChunks} from '../util/blob-body.js'
import {StreamingDigest} from './digest.js'
import type {StreamBody} from './http-transport.js'

/**
 * A file body sent as a stream and hashed on the way: after the send, verify() throws an
 * IntegrityError when the bytes that went out (the last time the stream was opened) do
 * not match the descriptor. The receiver checks the digest too, so damaged content is
 * refused there, and verify() turns that refusal into the exit-8 error it is.
 */
export function verifyingStream(
  body: BlobFile,
  descriptor: {digest: string; size: number},
  what: string,
): {stream: StreamBody; sent: () => boolean; verify: () => void} {
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
