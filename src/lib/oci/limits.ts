/**
 * Every bound on what is read from a registry or from disk content that a registry (or a
 * copied OCI layout) could have shaped (SPEC §14: everything read from outside is hostile).
 * One module, so that a reviewer sees all the numbers and why at once.
 */
import {IntegrityError} from '../errors.js'

/**
 * Manifests, image indexes and config blobs: JSON documents that are held whole in memory
 * and parsed. 4 MiB is the limit containerd and the distribution registry apply to
 * manifests; an extension's manifest and config are a few KiB.
 */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024

/**
 * Entries one OCI layout's index.json may list. A layout holds one repository: its tags, their
 * signatures and other referrers, far fewer than this. Looking up referrers reads the manifest
 * of every entry, so the count is bounded before any is read (a 4 MiB index.json could list
 * ~40,000 tiny entries).
 */
export const MAX_LAYOUT_INDEX_ENTRIES = 10_000

/** A token service's JSON answer (a JWT and its expiry: a few KiB; 1 MiB is generous). */
export const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024

/**
 * The body of an error answer (4xx/5xx, redirects): only read for its message. Registries
 * send well under 1 KiB.
 */
export const MAX_ERROR_BODY_BYTES = 64 * 1024

/**
 * One page of a tag list or `_catalog`: we ask for 1000 names per page, and a name is at
 * most 255 characters, so ~260 KiB; some registries ignore `n` and send everything in one
 * page, so a page gets the document cap.
 */
export const MAX_PAGE_BYTES = MAX_DOCUMENT_BYTES

/** Pages followed through `Link` headers: a million names at 1000 per page. */
export const MAX_PAGES = 1000

/** All pages of one listing together (held in memory as names). */
export const MAX_LISTING_BYTES = 64 * 1024 * 1024

/**
 * The total deadline of one request is oci.timeout_seconds (connect, TLS, headers and a
 * small body) plus the time the body needs at this rate: the declared blob size for blobs,
 * else the Content-Length, never more than the response's cap. A registry dripping bytes
 * so that the idle timeout never fires (one byte a second) is cut off; a slow but working
 * link is not, as long as it moves at least this rate (oci.min_transfer_rate_kib, in KiB/s:
 * 32 KiB/s is a 256 kbit/s line; a 100 MiB layer may take ~53 minutes).
 */
export const DEFAULT_MIN_TRANSFER_RATE_KIB = 32

/**
 * The rate is also enforced as the body arrives: a request fails once more than
 * oci.timeout_seconds plus (bytes received + this slack) at the minimum rate have passed.
 * A body without Content-Length (chunked) otherwise gets the whole cap's allowance (4 MiB:
 * ~2 minutes at 32 KiB/s) however little it sends; the slack (2 s at 32 KiB/s) absorbs a
 * slow first chunk (TCP slow start, a registry reading from cold storage).
 */
export const PROGRESS_SLACK_BYTES = 64 * 1024

/**
 * A manifest or config descriptor promising more than MAX_DOCUMENT_BYTES is refused before
 * anything is fetched (exit 8), as is one whose size is not a byte count at all.
 */
export function assertDocumentSize(descriptor: {digest: string; size?: number}, what: string): void {
  const {size} = descriptor
  if (size === undefined) return
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_DOCUMENT_BYTES) {
    throw new IntegrityError(`${what}: its descriptor gives a size of ${size} bytes, more than the ${MAX_DOCUMENT_BYTES} bytes a manifest or config may have`, {
      hint: 'the artifact is malformed or hostile; nothing was downloaded',
      details: {digest: descriptor.digest, size, limit: MAX_DOCUMENT_BYTES},
    })
  }
}
