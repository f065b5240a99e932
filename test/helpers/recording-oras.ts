import {chmod, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {tempDir} from './cli.js'

export interface RecordingOras {
  /** The folder holding the `oras` script: put it first on PATH. */
  dir: string
  /** The script itself. */
  binary: string
  /** Every run so far: its argv after the program name, in order. */
  calls(): Promise<string[][]>
  cleanup(): Promise<void>
}

/**
 * An `oras` that only records: it appends its argv as one JSON line to a file and exits 0.
 * It checks our side of the process boundary (what the CLI asks oras to do); oras itself is
 * not installed on the build machines.
 */
export async function recordingOras(): Promise<RecordingOras> {
  const {dir, cleanup} = await tempDir('recording-oras-')
  const binary = path.join(dir, 'oras')
  const log = path.join(dir, 'calls.jsonl')
  const script = `#!${process.execPath}\nrequire('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n')\n`
  await writeFile(binary, script)
  await chmod(binary, 0o755)
  const calls = async () => {
    const text = await readFile(log, 'utf8').catch(() => '')
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[])
  }
  return {dir, binary, calls, cleanup}
}
