import {BusyError, ValidationError} from '../errors.js'
import {withFileLock} from '../util/file-lock.js'
import {type Launch, pickDefinitions, type PlatformSetup, resolveLaunch, unavailableError} from './setup.js'
import type {ServiceDefinition} from './definitions.js'
import {probeHealth} from './health.js'
import {markHealthy, spawnService, waitHealthy} from './launch.js'
import {tailFile} from './logs.js'
import {prepareRegistry} from './oci-registry.js'
import {groupMembers, isRunning} from './proc.js'
import {startOrder, stopOrder} from './order.js'
import {portIsFree} from './ports.js'
import {clearService, liveness, type ServiceRecord} from './records.js'
import {terminateGroup} from './terminate.js'

export interface StartedService {
  name: string
  action: 'started' | 'already-running'
  pid: number
  port?: number
  /** How long the health check took to pass after the spawn (started services only). */
  healthyAfterMs?: number
  health: string
}

export interface StartResult {
  requested: string[]
  /** Dependencies first: the order services were checked and started in. */
  order: string[]
  services: StartedService[]
}

export interface StoppedService {
  name: string
  action: 'stopped' | 'killed' | 'not-running' | 'cleaned'
  pid?: number
  /** cleaned: processes of the dead service's group that were still running, now stopped. */
  orphansStopped?: number
}

export interface StopResult {
  /** Dependents first. */
  order: string[]
  services: StoppedService[]
}

export interface RestartResult {
  stopped: StopResult
  started: StartResult
}

const LOG_TAIL_LINES = 20
const LOCK_MARGIN_MS = 10_000

function lockWait(definitions: ServiceDefinition[]): number {
  return definitions.reduce((sum, d) => sum + (d.startTimeoutSeconds + d.stopGraceSeconds) * 1000, LOCK_MARGIN_MS)
}

function expectedCmdline(launch: Launch): string[] | undefined {
  return launch.binary ? [launch.binary, ...launch.args] : undefined
}

/**
 * `platform start`: the named services (default: every auto_start one) and their
 * dependencies, dependencies first, each healthy before its dependents start. Healthy
 * running services are left alone. Availability and ports are checked for the whole plan
 * before anything starts; if a service fails, everything this call started is stopped.
 */
export async function startServices(ctx: PlatformSetup, names: readonly string[] = []): Promise<StartResult> {
  const requested =
    names.length > 0 ? pickDefinitions(ctx, names).map((d) => d.name) : [...ctx.definitions.values()].filter((d) => d.autoStart).map((d) => d.name)
  const order = startOrder(ctx.definitions, requested)
  const plan = order.map((n) => ctx.definitions.get(n) as ServiceDefinition)
  return withFileLock(ctx.paths.lock, {waitMs: lockWait(plan), purpose: `platform start ${requested.join(' ')}`}, async () => ({
    requested,
    order,
    services: await startPlan(ctx, plan),
  }))
}

async function startPlan(ctx: PlatformSetup, plan: ServiceDefinition[]): Promise<StartedService[]> {
  const launches = new Map<string, Launch>()
  const running = new Map<string, ServiceRecord>()
  for (const definition of plan) {
    const launch = await resolveLaunch(ctx, definition)
    launches.set(definition.name, launch)
    const live = await liveness(ctx.paths, definition.name, async () => expectedCmdline(launch))
    if (live.state === 'running') running.set(definition.name, live.record)
  }
  for (const definition of plan) {
    const launch = launches.get(definition.name) as Launch
    if (!running.has(definition.name) && !launch.available) throw unavailableError(definition, launch)
  }
  for (const definition of plan) {
    if (running.has(definition.name) || !definition.port) continue
    if (!(await portIsFree(definition.port))) {
      throw new BusyError(`port ${definition.port} of service ${definition.name} is already in use by another process`, {
        hint: `stop what listens there (ss -ltnp 'sport = :${definition.port}' shows it), or move the service: set platform.services.${definition.name}.port in config.user.toml`,
        details: {service: definition.name, port: definition.port},
      })
    }
  }

  const results: StartedService[] = []
  const startedHere: ServiceRecord[] = []
  for (const definition of plan) {
    const launch = launches.get(definition.name) as Launch
    const existing = running.get(definition.name)
    if (existing) {
      const health = await waitRunningHealthy(definition, existing, launch)
      results.push({name: definition.name, action: 'already-running', pid: existing.pid, port: existing.port ?? definition.port, health})
      continue
    }
    if (definition.builtin === 'oci-registry') await prepareRegistry(ctx.home, launch.binary as string, definition.port ?? 5000)
    let spawned
    try {
      spawned = await spawnService(ctx, definition, launch)
    } catch (error) {
      await rollback(ctx, startedHere)
      throw error
    }
    startedHere.push(spawned.record)
    const outcome = await waitHealthy(definition, spawned, launch)
    if (!outcome.healthy) {
      const stopped = await rollback(ctx, startedHere)
      const file = ctx.paths.of(definition.name).log
      const {lines} = await tailFile(file, LOG_TAIL_LINES, spawned.record.logOffset)
      throw new ValidationError(
        `service ${definition.name} failed to start: ${outcome.reason}\n--- last ${lines.length} lines of ${file}:\n${lines.join('\n')}`,
        {
          hint: `fix what the log shows, then run "provisioning platform start ${definition.name}" again${stopped.length > 0 ? `; stopped what this start had started: ${stopped.map((s) => s.name).join(', ')}` : ''}`,
          details: {service: definition.name, reason: outcome.reason, health: outcome.last?.detail, log: file, logTail: lines, stopped},
        },
      )
    }
    const record = await markHealthy(ctx, spawned.record)
    startedHere[startedHere.length - 1] = record
    results.push({
      name: definition.name,
      action: 'started',
      pid: record.pid,
      port: definition.port,
      healthyAfterMs: outcome.afterMs,
      health: outcome.last.detail,
    })
  }
  return results
}

/** A running service that is not healthy yet gets its start timeout; it is not ours to kill. */
async function waitRunningHealthy(definition: ServiceDefinition, record: ServiceRecord, launch: Launch): Promise<string> {
  const deadline = Date.now() + definition.startTimeoutSeconds * 1000
  for (;;) {
    const result = await probeHealth(definition.health, {pid: record.pid, env: launch.env, cwd: launch.cwd})
    if (result.healthy) return result.detail
    if (Date.now() >= deadline) {
      throw new ValidationError(`service ${definition.name} is running (pid ${record.pid}) but not healthy: ${result.detail}`, {
        hint: `see "provisioning platform logs ${definition.name}"; "provisioning platform restart ${definition.name}" starts it afresh`,
        details: {service: definition.name, pid: record.pid, health: result.detail},
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Stops, dependents first, what one start call had started. */
async function rollback(ctx: PlatformSetup, started: ServiceRecord[]): Promise<Array<{name: string; pid: number}>> {
  const stopped: Array<{name: string; pid: number}> = []
  for (const record of [...started].reverse()) {
    const grace = (ctx.definitions.get(record.name)?.stopGraceSeconds ?? 10) * 1000
    await terminateGroup(record.pgid, record.pid, grace)
    await clearService(ctx.paths, record.name)
    stopped.push({name: record.name, pid: record.pid})
  }
  return stopped
}

/**
 * `platform stop`: the named services (default: every one with a PID file or state) and
 * the running services that depend on them, dependents first: SIGTERM to the process
 * group, SIGKILL after the service's grace period.
 */
export async function stopServices(ctx: PlatformSetup, names: readonly string[] = []): Promise<StopResult> {
  const all = [...ctx.definitions.values()]
  return withFileLock(ctx.paths.lock, {waitMs: lockWait(all), purpose: `platform stop ${names.join(' ')}`.trim()}, () => stopUnlocked(ctx, names))
}

async function stopUnlocked(ctx: PlatformSetup, names: readonly string[]): Promise<StopResult> {
  const states = new Map<string, Awaited<ReturnType<typeof liveness>>>()
  for (const definition of ctx.definitions.values())
    states.set(definition.name, await liveness(ctx.paths, definition.name, async () => expectedCmdline(await resolveLaunch(ctx, definition))))
  const active = new Set([...states].filter(([, s]) => s.state !== 'stopped').map(([n]) => n))
  const targets = names.length > 0 ? pickDefinitions(ctx, names).map((d) => d.name) : [...active]
  const order = stopOrder(ctx.definitions, targets, active)
  const services: StoppedService[] = []
  for (const name of order) {
    const state = states.get(name)
    if (!state || state.state === 'stopped') {
      services.push({name, action: 'not-running'})
      continue
    }
    const grace = (ctx.definitions.get(name)?.stopGraceSeconds ?? 10) * 1000
    if (state.state === 'dead') {
      // The leader is gone but what it spawned may still run (and hold the port). While any
      // process of the group lives, the kernel does not hand its number out again, so a group
      // with members whose leader PID is unused is still this service's.
      const record = state.record
      let orphansStopped = 0
      if (record && record.pgid === record.pid && !(await isRunning(record.pid))) {
        orphansStopped = (await groupMembers(record.pgid)).length
        if (orphansStopped > 0) await terminateGroup(record.pgid, record.pid, grace)
      }
      await clearService(ctx.paths, name)
      services.push({name, action: 'cleaned', pid: record?.pid, ...(orphansStopped > 0 ? {orphansStopped} : {})})
      continue
    }
    const how = await terminateGroup(state.record.pgid, state.record.pid, grace)
    await clearService(ctx.paths, name)
    services.push({name, action: how === 'killed' ? 'killed' : 'stopped', pid: state.record.pid})
  }
  return {order, services}
}

/** `platform restart`: stop the named (default: all running) and their running dependents, then start them again. */
export async function restartServices(ctx: PlatformSetup, names: readonly string[] = []): Promise<RestartResult> {
  const all = [...ctx.definitions.values()]
  return withFileLock(ctx.paths.lock, {waitMs: lockWait(all), purpose: `platform restart ${names.join(' ')}`.trim()}, async () => {
    const stopped = await stopUnlocked(ctx, names)
    const again = names.length > 0 ? stopped.order : stopped.services.filter((s) => s.action === 'stopped' || s.action === 'killed').map((s) => s.name)
    const order = startOrder(ctx.definitions, again)
    const services = await startPlan(
      ctx,
      order.map((n) => ctx.definitions.get(n) as ServiceDefinition),
    )
    return {stopped, started: {requested: again, order, services}}
  })
}
