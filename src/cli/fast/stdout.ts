import {writeSync} from 'node:fs'

import {plainJson} from '../render-error.js'

/** Set once a write went through process.stdout: from then on every write does, in order. */
let streamed = false

/**
 * Writes to stdout with write(2) instead of through process.stdout. Made for a pipe (what
 * `$(provisioning …)` and every script read), process.stdout is a net.Socket: creating it
 * loads node:net and the stream machinery, ~4 ms of a ~40 ms start on Node 24. Only for the
 * fast paths, where nothing else writes stdout: mixed with process.stdout's queued writes,
 * the order could change.
 */
export function writeStdout(text: string): void {
  const bytes = Buffer.from(text, 'utf8')
  let offset = 0
  while (offset < bytes.length && !streamed) {
    try {
      offset += writeSync(1, bytes, offset)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // The reader went away (`… | head -1`): as process.stdout would, stop writing.
      if (code === 'EPIPE') return
      // A full non-blocking pipe: the stream waits for the reader, and keeps the process alive until then.
      if (code !== 'EAGAIN') throw error
      streamed = true
    }
  }
  if (offset < bytes.length) process.stdout.write(bytes.subarray(offset))
}

/** writePlainJson (render-error.ts) through writeStdout. */
export function writeStdoutJson(json: unknown): void {
  writeStdout(plainJson(json))
}
