import {readFile, rm} from 'node:fs/promises'

import {writeFileAtomic} from '../util/atomic-write.js'
import {liveState, type ProcessIdentity, readIdentity} from './proc.js'
import type {ServicePaths} from './service-paths.js'

/** What `platform start` recorded about a running service, in services/state/<name>.json. */
export interface ServiceRecord {
  name: string
  pid: number
  pgid: number
  /** The command line seen in /proc when it became healthy (after any exec of wrappers). */
  cmdline: string[]
  startTicks: number
  startedAt: string
  healthyAt?: string
  port?: number
  /** Byte offset of this run's output in the log file. */
  logOffset: number
  /** Set when the process was found gone (or its PID reused) without `platform stop`. */
  deadSince?: string
}

async function readRecord(paths: ServicePaths, name: string): Promise<ServiceRecord | undefined> {
  try {
    return JSON.parse(await readFile(paths.of(name).state, 'utf8')) as ServiceRecord
  } catch {
    return undefined
  }
}

async function readPidFile(paths: ServicePaths, name: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(paths.of(name).pid, 'utf8')).trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** The record first, then the PID file: a reader that finds the PID file finds its record. */
export async function writeRunning(paths: ServicePaths, record: ServiceRecord): Promise<void> {
  const files = paths.of(record.name)
  await writeFileAtomic(files.state, `${JSON.stringify(record, null, 2)}\n`, {durable: false})
  await writeFileAtomic(files.pid, `${record.pid}\n`, {durable: false})
}

/** After a clean stop nothing is left: the service is simply "stopped". */
export async function clearService(paths: ServicePaths, name: string): Promise<void> {
  const files = paths.of(name)
  await rm(files.pid, {force: true})
  await rm(files.state, {force: true})
}

type Liveness = {state: 'running'; record: ServiceRecord} | {state: 'dead'; record?: ServiceRecord; reason: string} | {state: 'stopped'}

/**
 * Is the service behind the PID file still the process we started? A PID is ours only
 * when /proc shows the same start time and command line as recorded; a dead PID or a PID
 * reused by another program makes the PID file stale: it is removed and the service is
 * "dead" (the record is kept, marked, so status keeps saying so until the next start/stop).
 */
export async function liveness(paths: ServicePaths, name: string, expectedCmdline: () => Promise<string[] | undefined>): Promise<Liveness> {
  const pid = await readPidFile(paths, name)
  const record = await readRecord(paths, name)
  if (pid === undefined) {
    return record?.deadSince ? {state: 'dead', record, reason: `exited without "platform stop" (noticed ${record.deadSince})`} : {state: 'stopped'}
  }
  const identity = await readIdentity(pid)
  let reason: string | undefined
  if (!identity || !liveState(identity.state)) reason = `process ${pid} is gone`
  else if (record && record.pid === pid) {
    // Until it is healthy a wrapper may still exec the real program, so only the start time counts.
    const cmdlineDiffers = record.healthyAt !== undefined && !sameArgs(identity.cmdline, record.cmdline)
    if (identity.startTicks !== record.startTicks || cmdlineDiffers) reason = `PID ${pid} now belongs to another process (${identity.cmdline.join(' ')})`
  } else {
    // A PID file without a matching record (written by hand, or by an older run): only the
    // command line can vouch for it. Asked only here: finding it searches PATH.
    const expected = await expectedCmdline()
    if (!expected || !sameArgs(identity.cmdline, expected)) {
      reason = `PID ${pid} belongs to another process (${identity.cmdline.join(' ')})`
    }
  }
  if (reason === undefined && identity) return {state: 'running', record: record && record.pid === pid ? record : adopted(name, identity)}
  await rm(paths.of(name).pid, {force: true})
  const marked = record ? {...record, deadSince: record.deadSince ?? new Date().toISOString()} : undefined
  if (marked) await writeFileAtomic(paths.of(name).state, `${JSON.stringify(marked, null, 2)}\n`, {durable: false})
  return {state: 'dead', record: marked, reason: reason ?? `process ${pid} is gone`}
}

/** A PID file without a record, vouched for by its command line: its start time is unknown to us. */
function adopted(name: string, identity: ProcessIdentity): ServiceRecord {
  return {
    name,
    pid: identity.pid,
    pgid: identity.pgid,
    cmdline: identity.cmdline,
    startTicks: identity.startTicks,
    startedAt: new Date().toISOString(),
    logOffset: 0,
  }
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i])
}
