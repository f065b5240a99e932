import path from 'node:path'

import {cacheEntryMac, cacheEntryMacMatches} from '../config/parse-cache.js'
import {digestHex, isDigest} from '../oci/digest.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {readUntrusted} from '../util/untrusted-file.js'

/** An entry is ~250 bytes; anything larger was not written by us. */
const MAX_ENTRY_BYTES = 1024
/** 2: entries carry the per-home HMAC (version 1 entries are misses, verified again once). */
const ENTRY_VERSION = 2

/** One positive result: `subject` carries a valid signature by the key `key`, in the referrer `referrer`. */
export interface VerifiedPair {
  subject: string
  key: string
  referrer: string
}

/**
 * Positive verification results (never failures: a signature pushed later must be found),
 * one file per manifest digest and key fingerprint under `<oci.cache.dir>/signatures/`, so a
 * cached artifact is trusted again without asking the registry, and `--offline` can verify.
 * An entry that does not parse, names another pair than its file name, or is not signed with
 * this home's key (config/parse-cache.ts: `$PROVISIONING_HOME/cache.key`, outside `cache/`) is a
 * miss (then rewritten by the next verification), never a reason to trust: a `cache/` folder
 * restored from elsewhere (a CI cache another job wrote) cannot vouch for an artifact.
 */
export class VerificationCache {
  readonly dir: string

  constructor(ociCacheDir: string) {
    this.dir = path.join(ociCacheDir, 'signatures')
  }

  private file(subject: string, key: string): string {
    return path.join(this.dir, digestHex(subject), `${digestHex(key)}.json`)
  }

  /** Whether `subject` was verified with the key `key` before. */
  async has(subject: string, key: string): Promise<boolean> {
    if (!isDigest(subject) || !isDigest(key)) return false
    const read = await readUntrusted(this.file(subject, key), {max: MAX_ENTRY_BYTES}).catch(() => undefined)
    if (read?.kind !== 'data') return false
    let entry: unknown
    try {
      entry = JSON.parse(read.data.toString('utf8'))
    } catch {
      return false
    }
    return isEntryFor(entry, subject, key)
  }

  /** Records a verified pair (written atomically; a cache that cannot be written only costs a later verification). */
  async record(pair: VerifiedPair): Promise<void> {
    if (![pair.subject, pair.key, pair.referrer].every(isDigest)) return
    const mac = cacheEntryMac(macPayload(pair.subject, pair.key, pair.referrer), true)
    if (!mac) return
    const body = `${JSON.stringify({version: ENTRY_VERSION, subject: pair.subject, key: pair.key, referrer: pair.referrer, mac})}\n`
    await writeFileAtomic(this.file(pair.subject, pair.key), body, {durable: false}).catch(() => undefined)
  }
}

function isEntryFor(entry: unknown, subject: string, key: string): boolean {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false
  const e = entry as Record<string, unknown>
  return (
    Object.keys(e).length === 5 &&
    e.version === ENTRY_VERSION &&
    e.subject === subject &&
    e.key === key &&
    isDigest(e.referrer) &&
    cacheEntryMacMatches(macPayload(subject, key, e.referrer), e.mac)
  )
}

const macPayload = (subject: string, key: string, referrer: string) => `signature-verified\0${subject}\0${key}\0${referrer}`
