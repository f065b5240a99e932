import type {RestartResult, StartResult, StopResult} from '../../lib/platform/lifecycle.js'
import type {ServiceLog} from '../../lib/platform/logs.js'
import type {RegistryEndpoint} from '../../lib/platform/registry-service.js'
import type {HealthReport, ListedService, ServiceStatus, StatusResult} from '../../lib/platform/status.js'
import {keyValues, table} from './table.js'

function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined) return ''
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`
  return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`
}

export function formatStart(result: StartResult): string {
  if (result.services.length === 0) return 'no services to start (none requested and none has auto_start = true)'
  return result.services
    .map(
      (s) =>
        `${s.action === 'started' ? 'started' : 'already running'} ${s.name} (pid ${s.pid}${s.port ? `, port ${s.port}` : ''}${s.healthyAfterMs !== undefined ? `, healthy after ${s.healthyAfterMs < 1000 ? `${s.healthyAfterMs} ms` : `${(s.healthyAfterMs / 1000).toFixed(1)} s`}` : ''})`,
    )
    .join('\n')
}

export function formatStop(result: StopResult): string {
  if (result.services.length === 0) return 'no services running'
  const verb = {
    stopped: 'stopped',
    killed: 'killed (did not stop within its grace period)',
    'not-running': 'not running',
    cleaned: 'was dead; cleaned its stale PID file',
  }
  return result.services
    .map(
      (s) =>
        `${s.name}: ${verb[s.action]}${s.pid ? ` (pid ${s.pid})` : ''}${s.orphansStopped ? `; stopped ${s.orphansStopped} process(es) it had left running` : ''}`,
    )
    .join('\n')
}

export function formatRestart(result: RestartResult): string {
  return [formatStop(result.stopped), formatStart(result.started)].join('\n')
}

function stateText(s: ServiceStatus): string {
  if (s.state !== 'running') return s.state
  return s.healthy ? 'running' : 'running (unhealthy)'
}

export function formatStatus(result: StatusResult): string {
  if (result.services.length === 0) return 'no services defined (add [platform.services.<name>] to config.user.toml)'
  const rows = table(
    ['service', 'state', 'pid', 'port', 'uptime', 'health'],
    result.services.map((s) => [
      s.name,
      stateText(s),
      s.pid,
      s.port,
      formatUptime(s.uptimeSeconds),
      s.state === 'running' ? s.health : s.state === 'dead' ? s.reason : s.state === 'unavailable' ? 'not installed' : '',
    ]),
  )
  return [rows, installHints(result.services)].filter(Boolean).join('\n\n')
}

export function formatHealth(report: HealthReport): string {
  if (report.services.length === 0) return 'no services to check (none running, none with auto_start)'
  return report.services.map((s) => `${s.name}: healthy (${s.health})`).join('\n')
}

export function formatList(result: {services: ListedService[]}): string {
  if (result.services.length === 0) return 'no services defined (add [platform.services.<name>] to config.user.toml)'
  const rows = table(
    ['service', 'available', 'port', 'depends on', 'auto start', 'health', 'command'],
    result.services.map((s) => [
      s.name,
      s.available ? 'yes' : 'no',
      s.port,
      s.dependsOn.join(',') || '-',
      s.autoStart ? 'yes' : 'no',
      s.health,
      s.binary ?? s.command,
    ]),
  )
  return [rows, installHints(result.services)].filter(Boolean).join('\n\n')
}

/** Unavailable services say what to install below the table, where long hints do not stretch columns. */
function installHints(services: Array<{name: string; install?: string}>): string {
  const missing = services.filter((s) => s.install)
  return missing.length === 0 ? '' : `to install:\n${missing.map((s) => `  ${s.name}: ${s.install}`).join('\n')}`
}

export function formatLog(log: ServiceLog): string {
  return log.lines.join('\n')
}

export function formatRegistryStart(result: StartResult & {registry: RegistryEndpoint}): string {
  return `${formatStart(result)}\nregistry: ${result.registry.address} (${result.registry.flavor ?? 'registry'}, storage ${result.registry.storage}); "oci push" with default settings lands here`
}

export function formatRegistryStatus(status: ServiceStatus & {registry: RegistryEndpoint}): string {
  return keyValues([
    ['state', stateText(status)],
    ['address', status.registry.address],
    ['binary', status.registry.binary ?? `none found (${status.install ?? 'install docker-registry or zot'})`],
    ['pid', status.pid],
    ['uptime', formatUptime(status.uptimeSeconds)],
    ['health', status.state === 'running' ? status.health : status.reason],
    ['storage', status.registry.storage],
    ['log', status.log],
  ])
}
