import {readFileSync} from 'node:fs'
import os from 'node:os'

/**
 * True while a process with this PID runs (EPERM: it exists, but belongs to someone else).
 * A zombie, exited but not yet reaped by its parent (in a container whose init reaps
 * nothing, for good), holds no lock and serves nothing: it counts as gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return !isZombie(pid)
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The state letter follows the command name, which is in parentheses and may hold ')'.
    const state = stat.charAt(stat.lastIndexOf(')') + 2)
    return state === 'Z' || state === 'X'
  } catch {
    return false // no /proc (not Linux): kill(0) said it exists
  }
}

/** The user name for records people read; containers may run a UID without a passwd entry. */
export function currentUser(): string {
  try {
    return os.userInfo().username
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? String(process.getuid?.() ?? 'unknown')
  }
}
