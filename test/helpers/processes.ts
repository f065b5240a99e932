import {type ChildProcess, spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {open} from 'node:fs/promises'
import net from 'node:net'

/**
 * Children and temp folders started by test fixtures. The 'exit' handler below is the last
 * resort when a test forgot (or failed before) its own stop(): it SIGKILLs by PID and removes
 * the folders synchronously.
 */
const liveChildren = new Map<number, ChildProcess>()
const liveDirs = new Set<string>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const pid of liveChildren.keys()) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    for (const dir of liveDirs) rmSync(dir, {recursive: true, force: true})
  })
}

/** Registers a temp folder to be removed at process exit if nobody removed it before. */
export function trackDir(dir: string): void {
  installExitHook()
  liveDirs.add(dir)
}

export function untrackDir(dir: string): void {
  liveDirs.delete(dir)
}

/** A free TCP port on 127.0.0.1 (the OS picks it; it is released before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface Spawned {
  child: ChildProcess
  pid: number
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>
}

/** Spawns a long-running process with stdout+stderr appended to logFile, tracked for cleanup. */
export async function spawnLogged(command: string, args: string[], logFile: string): Promise<Spawned> {
  installExitHook()
  const log = await open(logFile, 'a')
  try {
    const child = spawn(command, args, {stdio: ['ignore', log.fd, log.fd]})
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => {
        if (child.pid !== undefined) liveChildren.delete(child.pid)
        resolve(code ?? signal ?? -1)
      })
    })
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid as number))
      child.once('error', reject)
    })
    liveChildren.set(pid, child)
    return {child, pid, exited}
  } finally {
    await log.close()
  }
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
export async function stopProcess(proc: Spawned, graceMs = 3000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(proc.pid, name)
    } catch {
      // already gone
    }
  }
  signal('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      signal('SIGKILL')
      resolve()
    }, graceMs)
  })
  await Promise.race([proc.exited, killed])
  clearTimeout(timer)
  await proc.exited
}
