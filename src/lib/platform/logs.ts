import {open, stat} from 'node:fs/promises'

import {NotFoundError} from '../errors.js'
import {pickDefinitions, type PlatformSetup} from './setup.js'

/** The last `count` lines of a text (a trailing newline does not count as an empty line). */
function lastLines(text: string, count: number): string[] {
  if (count <= 0 || text === '') return []
  const lines = text.replace(/\n$/, '').split('\n')
  return lines.slice(-count)
}

const TAIL_WINDOW = 256 * 1024

/** The last lines of a log file from byte `from` on (only a bounded window at the end is read). */
export async function tailFile(file: string, count: number, from = 0): Promise<{lines: string[]; size: number}> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    return {lines: [], size: 0}
  }
  const start = Math.max(from, size - TAIL_WINDOW)
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(size - start)
    await handle.read(buffer, 0, buffer.length, start)
    let text = buffer.toString('utf8')
    // A window that starts mid-line drops the partial first line.
    if (start > from) text = text.slice(text.indexOf('\n') + 1)
    return {lines: lastLines(text, count), size}
  } finally {
    await handle.close()
  }
}

export interface ServiceLog {
  name: string
  file: string
  lines: string[]
  /** Where a follower continues from. */
  size: number
}

/** `platform logs NAME --lines N`: the end of a service's log (every run appends to it). */
export async function serviceLog(ctx: PlatformSetup, name: string, count: number): Promise<ServiceLog> {
  const [definition] = pickDefinitions(ctx, [name])
  const file = ctx.paths.of(definition.name).log
  try {
    await stat(file)
  } catch {
    throw new NotFoundError(`no log for service ${name} yet (${file})`, {
      hint: `start it first: provisioning platform start ${name}`,
      details: {service: name, file},
    })
  }
  return {name, file, ...(await tailFile(file, count))}
}

/**
 * Text appended to a log file after byte `from`, as it arrives (polling: it works for
 * files written by any process, on any file system). Ends when `signal` aborts. A file
 * that shrinks (truncated by hand) is followed again from its start.
 */
export async function* followFile(file: string, from: number, signal?: AbortSignal, pollMs = 200): AsyncGenerator<string> {
  let offset = from
  while (!signal?.aborted) {
    const size = await stat(file).then(
      (s) => s.size,
      () => 0,
    )
    if (size < offset) offset = 0
    if (size > offset) {
      const handle = await open(file, 'r')
      try {
        const buffer = Buffer.alloc(size - offset)
        const {bytesRead} = await handle.read(buffer, 0, buffer.length, offset)
        offset += bytesRead
        yield buffer.subarray(0, bytesRead).toString('utf8')
      } finally {
        await handle.close()
      }
      continue
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
