import type {InitResult} from '../../lib/workspace/init.js'
import type {WorkspaceInfo} from '../../lib/workspace/info.js'
import type {WorkspaceListing} from '../../lib/workspace/manage.js'
import {keyValues, table} from './table.js'

export function formatList(result: {active?: string; workspaces: WorkspaceListing[]}): string {
  if (result.workspaces.length === 0) return 'no workspaces registered (create one with "provisioning workspace init NAME")'
  return table(
    ['', 'name', 'path', 'status'],
    result.workspaces.map((w) => [w.active ? '*' : '', w.name, w.path, w.exists ? 'ok' : 'missing folder']),
  )
}

export function formatInit(result: InitResult): string {
  return `created workspace ${result.name} at ${result.path}${result.activated ? ' (active)' : ''}`
}

export function formatInfo(info: WorkspaceInfo): string {
  const lock = info.lock ? `locked by ${String(info.lock.owner ?? info.lock.user ?? 'unknown')}${info.lock.reason ? ` (${String(info.lock.reason)})` : ''}` : 'unlocked'
  const head = keyValues([
    ['name', info.name],
    ['path', info.path],
    ['registered', info.registered ? (info.active ? 'yes (active)' : 'yes') : 'no'],
    ['mode', info.mode],
    ['environment', info.environment ?? '(none)'],
    ['infras', info.infras.join(', ') || '(none)'],
    ['config', info.config.workspace],
    ['lockfile', info.config.lockfilePresent ? info.config.lockfile : '(not resolved yet)'],
    ['lock', lock],
  ])
  const extensions = info.extensions.length === 0
    ? 'extensions: (none installed)'
    : `extensions:\n${table(['type', 'name', 'version'], info.extensions.map((e) => [e.type, e.name, e.version ?? '?']))}`
  return `${head}\n${extensions}`
}
