import {mkdir, open, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {tempPathFor} from './temp-name.js'

/**
 * Writes a file so that readers only ever see the old or the new content: the data goes
 * to a temp file in the same folder, is flushed to disk, then renamed over the target.
 */
export async function writeFileAtomic(
  file: string,
  /** An async iterable is written as it yields; if it throws, nothing replaces the file. */
  data: string | Uint8Array | AsyncIterable<Uint8Array>,
  /** durable: false skips the fsync, for caches whose entries are verified on every read. */
  options: {mode?: number; durable?: boolean} = {},
): Promise<void> {
  await mkdir(path.dirname(file), {recursive: true})
  const temp = tempPathFor(file)
  const handle = await open(temp, 'wx', options.mode ?? 0o644)
  try {
    await writeFile(handle, data)
    if (options.durable !== false) await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(temp, {force: true})
    throw error
  }
  await handle.close()
  try {
    await rename(temp, file)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
}
