import {readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import {IntegrityError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {digestHex, verifyContent} from './digest.js'
import type {Descriptor} from './media-types.js'

/**
 * Content-addressed blob cache (`blobs/sha256/<hex>`, SPEC §4). Only verified content
 * is stored, writes are atomic, and a cached entry that fails verification on read is
 * dropped (and refetched by the caller) instead of being used.
 */
export class BlobCache {
  constructor(readonly dir: string) {}

  file(digest: string): string {
    return path.join(this.dir, 'blobs', 'sha256', digestHex(digest))
  }

  async get(descriptor: Pick<Descriptor, 'digest'> & {size?: number}): Promise<Buffer | undefined> {
    let data: Buffer
    try {
      data = await readFile(this.file(descriptor.digest))
    } catch {
      return undefined
    }
    try {
      verifyContent(data, descriptor, `cached blob ${descriptor.digest}`)
      return data
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error
      await rm(this.file(descriptor.digest), {force: true})
      return undefined
    }
  }

  async put(descriptor: Pick<Descriptor, 'digest'> & {size?: number}, data: Buffer): Promise<void> {
    verifyContent(data, descriptor, `blob ${descriptor.digest}`)
    // No fsync: after a crash an entry is at worst damaged, and damaged entries are
    // detected on read, dropped and fetched again.
    await writeFileAtomic(this.file(descriptor.digest), data, {durable: false})
  }

  /** Fetches through the cache: a cached digest is never fetched again. */
  async through(descriptor: Descriptor, fetch: () => Promise<Buffer>): Promise<{data: Buffer; cached: boolean}> {
    const hit = await this.get(descriptor)
    if (hit) return {data: hit, cached: true}
    const data = await fetch()
    await this.put(descriptor, data)
    return {data, cached: false}
  }
}
