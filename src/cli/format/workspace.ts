import type {InitResult} from '../../lib/workspace/init.js'
import type {WorkspaceInfo} from '../../lib/workspace/info.js'
import type {WorkspaceListing} from '../../lib/workspace/manage.js'
import type {CleanupResult} from '../../lib/workspace/cleanup.js'
import type {LockResult, LockStatus, UnlockResult} from '../../lib/workspace/lock/index.js'
import {describeHolder} from '../../lib/workspace/lock/record.js'
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
  const head = keyValues([
    ['name', info.name],
    ['path', info.path],
    ['registered', info.registered ? (info.active ? 'yes (active)' : 'yes') : 'no'],
    ['mode', info.mode],
    ['environment', info.environment ?? '(none)'],
    ['infras', info.infras.join(', ') || '(none)'],
    ['config', info.config.workspace],
    ['lockfile', info.config.lockfilePresent ? info.config.lockfile : '(not resolved yet)'],
    ['lock', formatLockStatus(info.lock)],
  ])
  const extensions =
    info.extensions.length === 0
      ? 'extensions: (none installed)'
      : `extensions:\n${table(
          ['type', 'name', 'version'],
          info.extensions.map((e) => [e.type, e.name, e.version ?? '?']),
        )}`
  return `${head}\n${extensions}`
}

export function formatLockStatus(lock: LockStatus): string {
  if (lock.problem) return `unknown (${lock.problem})`
  if (lock.holder && lock.expired) return `expired: was ${describeHolder(lock.holder)} [${lock.provider}] ("workspace cleanup" removes it)`
  if (lock.holder) return `locked by ${describeHolder(lock.holder)} [${lock.provider}]`
  return 'unlocked'
}

export function formatLock(result: LockResult): string {
  const replaced = result.replaced ? `; took over the expired lock of ${result.replaced.owner}` : ''
  return `locked workspace ${result.workspace} as ${result.lock.owner}${result.lock.expires_at ? ` until ${result.lock.expires_at}` : ''} [${result.location}]${replaced}`
}

export function formatUnlock(result: UnlockResult): string {
  if (!result.unlocked) return `workspace ${result.workspace} was not locked (nothing to do)`
  const whose = result.unreadable ? 'an unreadable lock' : result.holder ? `the lock of ${result.holder.owner}` : 'the lock'
  const how = result.forced ? ' (forced)' : result.expired ? ' (it had expired)' : ''
  return `unlocked workspace ${result.workspace}: removed ${whose}${how} [${result.location}]`
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`
}

export function formatCleanup(result: CleanupResult): string {
  const verb = result.dryRun ? 'would remove' : 'removed'
  if (result.removed.length === 0 && result.skipped.length === 0) return `workspace ${result.workspace}: nothing to clean`
  const lines = [`workspace ${result.workspace}: ${verb} ${result.removed.length} item(s), ${bytes(result.bytes)}`]
  if (result.removed.length > 0)
    lines.push(
      table(
        ['kind', 'path', 'size', 'why'],
        result.removed.map((r) => [r.kind, r.path, bytes(r.bytes), r.reason]),
      ),
    )
  for (const s of result.skipped) lines.push(`kept ${s.path}: ${s.reason}`)
  return lines.join('\n')
}
