import {spawn} from 'node:child_process'
import {mkdir, open} from 'node:fs/promises'
import path from 'node:path'

import type {ServiceDefinition} from './definitions.js'
import type {Launch, PlatformSetup} from './setup.js'
import {probeHealth, type HealthResult} from './health.js'
import {readIdentity} from './proc.js'
import {type ServiceRecord, writeRunning} from './records.js'

export interface Spawned {
  record: ServiceRecord
  /** Set once the process has exited (while this CLI is still its parent). */
  exit: {code?: number | null; signal?: NodeJS.Signals | null; exited: boolean}
}

/**
 * Starts a service detached from the CLI: its own session and process group (so stop
 * can signal everything it spawned), stdout and stderr appended to its log file, no
 * handle kept, so the CLI can exit while the service keeps running.
 */
export async function spawnService(ctx: PlatformSetup, definition: ServiceDefinition, launch: Launch): Promise<Spawned> {
  const files = ctx.paths.of(definition.name)
  await mkdir(path.dirname(files.log), {recursive: true})
  await mkdir(launch.cwd, {recursive: true})
  const log = await open(files.log, 'a')
  const exit: Spawned['exit'] = {exited: false}
  let pid: number
  let logOffset: number
  try {
    logOffset = (await log.stat()).size
    await log.write(`--- ${new Date().toISOString()} provisioning platform start ${definition.name}: ${[launch.binary, ...launch.args].join(' ')}\n`)
    const child = spawn(launch.binary as string, launch.args, {
      cwd: launch.cwd,
      env: launch.env,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    })
    child.once('exit', (code, signal) => Object.assign(exit, {code, signal, exited: true}))
    pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid as number))
      child.once('error', reject)
    })
    child.unref()
  } finally {
    await log.close()
  }
  const identity = await readIdentity(pid)
  const record: ServiceRecord = {
    name: definition.name,
    pid,
    pgid: identity?.pgid ?? pid,
    cmdline: identity?.cmdline ?? [launch.binary as string, ...launch.args],
    startTicks: identity?.startTicks ?? 0,
    startedAt: new Date().toISOString(),
    port: definition.port,
    logOffset,
  }
  await writeRunning(ctx.paths, record)
  return {record, exit}
}

type WaitOutcome = {healthy: true; afterMs: number; last: HealthResult} | {healthy: false; reason: string; last?: HealthResult}

// Most services answer within tens of milliseconds (a registry in ~40 ms): probe early and
// often at first, then settle at the steady interval so slow starters are not hammered.
const POLL_FIRST_MS = 10
const POLL_MS = 100
const PROCESS_SETTLE_MS = 1000

/** Polls the health check until it passes, the process exits, or the start timeout is over. */
export async function waitHealthy(definition: ServiceDefinition, spawned: Spawned, launch: Launch): Promise<WaitOutcome> {
  const started = Date.now()
  const deadline = started + definition.startTimeoutSeconds * 1000
  let last: HealthResult | undefined
  let delay = POLL_FIRST_MS
  for (;;) {
    if (spawned.exit.exited) {
      const how = spawned.exit.signal ? `was killed by ${spawned.exit.signal}` : `exited with code ${spawned.exit.code}`
      return {healthy: false, reason: `${definition.name} ${how} before it became healthy`, last}
    }
    last = await probeHealth(definition.health, {pid: spawned.record.pid, env: launch.env, cwd: launch.cwd})
    // The exit may have raced the probe: a "healthy" answer from a dead process is not one.
    // With no check but "alive", a moment alive is required so an instant crash is not "healthy".
    const settled = definition.health.type !== 'process' || Date.now() - started >= PROCESS_SETTLE_MS
    if (last.healthy && settled && !spawned.exit.exited) return {healthy: true, afterMs: Date.now() - started, last}
    if (Date.now() >= deadline)
      return {healthy: false, reason: `${definition.name} did not become healthy within ${definition.startTimeoutSeconds}s (${last.detail})`, last}
    await new Promise((resolve) => setTimeout(resolve, delay))
    delay = Math.min(delay * 2, POLL_MS)
  }
}

/** Once healthy, the command line is final (wrappers have exec'd): record it for later identity checks. */
export async function markHealthy(ctx: PlatformSetup, record: ServiceRecord): Promise<ServiceRecord> {
  const identity = await readIdentity(record.pid)
  const updated: ServiceRecord = {...record, cmdline: identity?.cmdline ?? record.cmdline, healthyAt: new Date().toISOString()}
  await writeRunning(ctx.paths, updated)
  return updated
}
