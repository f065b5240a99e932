import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import {execa} from 'execa'

/** The real python3 binary (not a pyenv shim, which would exec it after a delay). */
export async function realPython(): Promise<string> {
  const {stdout} = await execa('python3', ['-c', 'import sys; print(sys.executable)'])
  return stdout.trim()
}

/** Alive and not a zombie (a killed process whose parent has not reaped it is gone). */
export {processAlive as alive} from '../../src/lib/util/process-info.js'

/** Last-resort cleanup: SIGKILLs the process group of every PID file under services/pids. */
export async function killRecordedServices(home: string, extra: number[] = []): Promise<void> {
  const dir = path.join(home, 'services', 'pids')
  const files = await readdir(dir).catch(() => [] as string[])
  const pids = [...extra]
  for (const file of files) {
    const pid = Number((await readFile(path.join(dir, file), 'utf8').catch(() => '')).trim())
    if (pid > 0) pids.push(pid)
  }
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL')
      } catch {
        // gone
      }
    }
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
