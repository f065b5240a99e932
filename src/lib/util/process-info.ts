import os from 'node:os'

/** True while a process with this PID exists (EPERM: it exists, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
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
