import {ValidationError} from '../errors.js'
import {type Launch, pickDefinitions, type PlatformSetup, resolveLaunch} from './setup.js'
import type {ServiceDefinition} from './definitions.js'
import {probeHealth} from './health.js'
import {liveness} from './records.js'

export type ServiceState = 'running' | 'dead' | 'stopped' | 'unavailable'

export interface ServiceStatus {
  name: string
  state: ServiceState
  pid?: number
  port?: number
  startedAt?: string
  uptimeSeconds?: number
  /** Health of a running service; absent when it is not running. */
  healthy?: boolean
  health?: string
  /** Why a service is dead (its stale PID file was removed). */
  reason?: string
  /** What to install, for an unavailable service. */
  install?: string
  log: string
}

export interface StatusResult {
  services: ServiceStatus[]
}

async function statusOne(ctx: PlatformSetup, definition: ServiceDefinition, launch: Launch): Promise<ServiceStatus> {
  const log = ctx.paths.of(definition.name).log
  const live = await liveness(ctx.paths, definition.name, async () => (launch.binary ? [launch.binary, ...launch.args] : undefined))
  if (live.state === 'running') {
    const {record} = live
    const health = await probeHealth(definition.health, {pid: record.pid, env: launch.env, cwd: launch.cwd})
    return {
      name: definition.name,
      state: 'running',
      pid: record.pid,
      port: record.port ?? definition.port,
      startedAt: record.startedAt,
      uptimeSeconds: Math.max(0, Math.round((Date.now() - Date.parse(record.startedAt)) / 1000)),
      healthy: health.healthy,
      health: health.detail,
      log,
    }
  }
  if (live.state === 'dead')
    return {name: definition.name, state: 'dead', pid: live.record?.pid, port: definition.port, startedAt: live.record?.startedAt, reason: live.reason, log}
  if (!launch.available) return {name: definition.name, state: 'unavailable', port: definition.port, install: launch.install, log}
  return {name: definition.name, state: 'stopped', port: definition.port, log}
}

/** `platform status`: per service its state (running/dead/stopped/unavailable), pid, port, uptime and health. */
export async function serviceStatus(ctx: PlatformSetup, names: readonly string[] = []): Promise<StatusResult> {
  const definitions = names.length > 0 ? pickDefinitions(ctx, names) : [...ctx.definitions.values()]
  return {services: await Promise.all(definitions.map(async (d) => statusOne(ctx, d, await resolveLaunch(ctx, d))))}
}

export interface HealthReport {
  healthy: boolean
  services: ServiceStatus[]
}

/**
 * `platform health`: the named services (default: every auto_start service and every one
 * that is running or dead). Exit 0 only when all are running and healthy; otherwise a
 * ValidationError (exit 10, the spec's code for "a check did not pass") lists each failure.
 */
export async function serviceHealth(ctx: PlatformSetup, names: readonly string[] = []): Promise<HealthReport> {
  const all = await serviceStatus(ctx, names)
  const services =
    names.length > 0 ? all.services : all.services.filter((s) => ctx.definitions.get(s.name)?.autoStart || s.state === 'running' || s.state === 'dead')
  const failing = services.filter((s) => s.state !== 'running' || !s.healthy)
  if (failing.length > 0) {
    const why = (s: ServiceStatus) =>
      s.state === 'running'
        ? `unhealthy: ${s.health}`
        : s.state === 'dead'
          ? `dead: ${s.reason}`
          : s.state === 'unavailable'
            ? `unavailable (${s.install})`
            : 'not running'
    throw new ValidationError(
      `${failing.length} of ${services.length} service${services.length === 1 ? '' : 's'} not healthy:\n${failing.map((s) => `  - ${s.name}: ${why(s)}`).join('\n')}`,
      {
        hint: 'start them with "provisioning platform start NAME"; "provisioning platform logs NAME" shows why one fails',
        details: {services},
      },
    )
  }
  return {healthy: true, services}
}

export interface ListedService {
  name: string
  description?: string
  builtin?: string
  command: string
  binary?: string
  args: string[]
  port?: number
  health: string
  dependsOn: string[]
  autoStart: boolean
  startTimeoutSeconds: number
  stopGraceSeconds: number
  available: boolean
  install?: string
}

function describeHealth(definition: ServiceDefinition): string {
  const check = definition.health
  switch (check.type) {
    case 'http':
      return `http ${check.url} (${check.status})`
    case 'tcp':
      return `tcp ${check.host}:${check.port}`
    case 'command':
      return `command ${[check.command, ...check.args].join(' ')}`
    case 'file':
      return `file ${check.path}`
    case 'process':
      return 'process alive'
  }
}

/** `platform list`: every definition and whether its binary is installed here. */
export async function listServices(ctx: PlatformSetup): Promise<{services: ListedService[]}> {
  return {
    services: await Promise.all(
      [...ctx.definitions.values()].map(async (d) => {
        const launch = await resolveLaunch(ctx, d)
        return {
          name: d.name,
          description: d.description,
          builtin: d.builtin,
          command: d.command || (launch.binary ?? ''),
          binary: launch.binary,
          args: launch.args,
          port: d.port,
          health: describeHealth(d),
          dependsOn: d.dependsOn,
          autoStart: d.autoStart,
          startTimeoutSeconds: d.startTimeoutSeconds,
          stopGraceSeconds: d.stopGraceSeconds,
          available: launch.available,
          install: launch.available ? undefined : launch.install,
        }
      }),
    ),
  }
}
