import {randomBytes} from 'node:crypto'
import {mkdir, open, rename, rm} from 'node:fs/promises'
import path from 'node:path'

/**
 * Writes a file so that readers only ever see the old or the new content: the data goes
 * to a temp file in the same folder, is flushed to disk, then renamed over the target.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: {mode?: number} = {},
): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, {recursive: true})
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', options.mode ?? 0o644)
  try {
    await handle.writeFile(data)
    await handle.sync()
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
