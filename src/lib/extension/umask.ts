import {readFileSync} from 'node:fs'

/**
 * The process umask, read from /proc (Linux) without changing it: process.umask() reads
 * it by setting it to 0 and back, a window in which a file created by another thread
 * would get no umask at all. Not cached (anything may change it between two reads);
 * undefined where /proc does not say, and then callers chmod.
 */
export function currentUmask(): number | undefined {
  try {
    const match = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'))
    return match ? Number.parseInt(match[1], 8) : undefined
  } catch {
    return undefined
  }
}

/** Whether creating with `requested` under `umask` already gives `wanted` (no chmod needed). */
export function createdModeIs(umask: number | undefined, requested: number, wanted: number): boolean {
  return umask !== undefined && (requested & ~umask & 0o7777) === wanted
}
