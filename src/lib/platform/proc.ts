import {readdir, readFile} from 'node:fs/promises'

import {processAlive} from '../util/process-info.js'

/**
 * What identifies a process beyond its PID, read from Linux /proc: PIDs are reused, but
 * (pid, start time) is unique for the life of the machine, and the command line tells
 * a reused PID from ours at a glance.
 */
export interface ProcessIdentity {
  pid: number
  /** /proc/<pid>/cmdline, NUL-separated arguments. */
  cmdline: string[]
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks after boot. */
  startTicks: number
  pgid: number
  /** Process state letter (R, S, Z, ...). */
  state: string
}

interface Stat {
  state: string
  pgid: number
  startTicks: number
}

function parseStat(text: string): Stat | undefined {
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const startTicks = Number(rest[19])
  if (rest.length < 20 || !Number.isFinite(startTicks)) return undefined
  return {state: rest[0], pgid: Number(rest[2]), startTicks}
}

export async function readIdentity(pid: number): Promise<ProcessIdentity | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8')])
    const parsed = parseStat(stat)
    if (!parsed) return undefined
    return {pid, cmdline: cmdline === '' ? [] : cmdline.replace(/\0$/, '').split('\0'), ...parsed}
  } catch {
    return undefined
  }
}

/** Not a zombie (an exited child whose parent has not reaped it yet is gone for us) nor dead. */
export function liveState(state: string): boolean {
  return state !== 'Z' && state !== 'X'
}

/** Alive and not a zombie. */
export async function isRunning(pid: number): Promise<boolean> {
  const identity = await readIdentity(pid)
  if (identity) return liveState(identity.state)
  return process.platform === 'linux' ? false : processAlive(pid)
}

/** Live (non-zombie) members of a process group: what a service left behind after its leader exited. */
export async function groupMembers(pgid: number): Promise<number[]> {
  if (process.platform !== 'linux') {
    try {
      process.kill(-pgid, 0)
      return [pgid]
    } catch {
      return []
    }
  }
  const entries = await readdir('/proc').catch(() => [] as string[])
  const members: number[] = []
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (entry) => {
        const stat = parseStat(await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''))
        if (stat && stat.pgid === pgid && liveState(stat.state)) members.push(Number(entry))
      }),
  )
  return members.sort((a, b) => a - b)
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // the group is gone already
  }
}

export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // gone already
  }
}
