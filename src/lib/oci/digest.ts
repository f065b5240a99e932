import {createHash, type Hash} from 'node:crypto'

import {IntegrityError} from '../errors.js'

const DIGEST = /^sha256:[a-f0-9]{64}$/

// The same buffer is verified at several steps (fetched, cached, pushed on): hashing it
// once is enough, since nothing in the process mutates content buffers.
const hashed = new WeakMap<Uint8Array, string>()

export function sha256(data: Uint8Array): string {
  let digest = hashed.get(data)
  if (!digest) {
    digest = `sha256:${createHash('sha256').update(data).digest('hex')}`
    hashed.set(data, digest)
  }
  return digest
}

/**
 * A well-formed sha256 digest. Values come from parsed JSON, where a digest may be anything:
 * RegExp.test() would coerce `["sha256:…"]` to its string and pass it, so the type is checked.
 */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value)
}

export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new IntegrityError(`unsupported or malformed digest "${digest}"`, {hint: 'only sha256 digests are supported', details: {digest}})
  return digest.slice('sha256:'.length)
}

/** Verifies content against its descriptor before anything uses or caches it. */
export function verifyContent(data: Uint8Array, expected: {digest: string; size?: number}, what: string): void {
  digestHex(expected.digest)
  checkSize(data.byteLength, expected, what)
  verifyDigest(sha256(data), data.byteLength, expected, what)
}

function checkSize(actual: number, expected: {digest: string; size?: number}, what: string): void {
  if (expected.size !== undefined && expected.size >= 0 && actual !== expected.size) throw sizeMismatch(actual, expected, what)
}

function sizeMismatch(actual: number, expected: {digest: string; size?: number}, what: string): IntegrityError {
  return new IntegrityError(`${what}: size mismatch (expected ${expected.size} bytes, got ${actual})`, {
    hint: 'the registry or a proxy returned damaged content; retry, and report it to the registry operator if it persists',
    details: {digest: expected.digest, expectedSize: expected.size, actualSize: actual},
  })
}

/** The check of verifyContent for content hashed as it streamed by. */
function verifyDigest(actual: string, size: number, expected: {digest: string; size?: number}, what: string): void {
  digestHex(expected.digest)
  checkSize(size, expected, what)
  if (actual !== expected.digest) {
    throw new IntegrityError(`${what}: digest mismatch (expected ${expected.digest}, got ${actual})`, {
      hint: 'the content was corrupted in the registry or in transit; nothing was cached or written. Re-push the artifact from a trusted source',
      details: {expected: expected.digest, actual},
    })
  }
}

/**
 * verifyContent for content that streams by (a download, a cache file read in pieces):
 * update() with every chunk, then verify(). More bytes than the descriptor promises fail
 * at once, so a source that never ends is not read (or written anywhere) without bound.
 */
export class StreamingDigest {
  private readonly hash: Hash = createHash('sha256')
  private received = 0

  constructor(
    private readonly expected: {digest: string; size: number},
    private readonly what: string,
  ) {
    digestHex(expected.digest) // sha256 only, well-formed
  }

  /** Bytes given so far. */
  get bytes(): number {
    return this.received
  }

  update(chunk: Uint8Array): void {
    this.received += chunk.byteLength
    if (this.received > this.expected.size) throw sizeMismatch(this.received, this.expected, this.what)
    this.hash.update(chunk)
  }

  /** Every byte was given: size and digest must match (IntegrityError otherwise). */
  verify(): void {
    verifyDigest(`sha256:${this.hash.digest('hex')}`, this.received, this.expected, this.what)
  }
}

/**
 * The chunks as they come, checked on the way: more bytes than promised fail at once, and
 * a wrong digest fails after the last chunk, so a writer consuming them (writeFileAtomic)
 * never puts unverified content in place.
 */
export async function* verifiedChunks(chunks: AsyncIterable<Buffer>, expected: {digest: string; size: number}, what: string): AsyncGenerator<Buffer> {
  const check = new StreamingDigest(expected, what)
  for await (const chunk of chunks) {
    check.update(chunk)
    yield chunk
  }
  check.verify()
}
