import type {ConfigTable} from '../../config/types.js'
import {lockFilePath} from './file-provider.js'
import {withProvider, type LockTarget} from './provider.js'
import {heldByOther, isExpired, type LockRecord} from './record.js'
import {lockSettings, type LockProviderKind, providersToCheck} from './settings.js'
import {unreadableLock} from './target.js'

export interface LockStatus {
  locked: boolean
  provider: LockProviderKind
  location: string
  holder?: LockRecord
  /** A holder is recorded but its TTL has passed: anyone may take or remove it. */
  expired?: boolean
  /** Why the lock could not be read (garbage in the file, etcd unreachable). */
  problem?: string
}

/**
 * The lock `workspace info` shows: a held (or expired) lock wherever enforcement looks (etcd
 * first when configured); else why a place could not be read (etcd down, garbage); else unlocked.
 */
export async function lockStatus(target: LockTarget, values: ConfigTable): Promise<LockStatus> {
  const settings = lockSettings(values)
  const statuses: LockStatus[] = []
  for (const kind of providersToCheck(settings)) {
    const status = await withProvider(kind, settings, async (provider): Promise<LockStatus> => {
      const at = {provider: kind, location: provider.location(target)}
      const current = await provider.read(target)
      if (!current) return {...at, locked: false}
      if (!current.record) return {...at, locked: true, problem: `unreadable lock: ${current.problem}`}
      const expired = isExpired(current.record)
      return {...at, locked: !expired, holder: current.record, ...(expired ? {expired} : {})}
    }).catch((error: Error): LockStatus => ({
      provider: kind,
      location: kind === 'etcd' ? `etcd ${settings.etcd.endpoints.join(',')} key ${settings.etcd.prefix}/${target.name}` : lockFilePath(target.path),
      locked: false,
      problem: error.message,
    }))
    if (status.holder) return status
    statuses.push(status)
  }
  return statuses.find((s) => s.problem) ?? statuses[0]
}

/**
 * Throws BusyError (exit 9, naming the holder) when someone other than the configured owner
 * holds a live lock on the workspace; an unreadable lock is a ConfigError (exit 3) and an
 * unreachable etcd a RegistryError (exit 6): a workspace whose lock cannot be checked is not
 * written to. Costs one file read, plus one etcd get when locking.provider = etcd.
 * Mutating commands call this before they change anything.
 */
export async function assertWorkspaceWritable(workspace: LockTarget, values: ConfigTable, doing = 'change it'): Promise<void> {
  const settings = lockSettings(values)
  for (const kind of providersToCheck(settings)) {
    await withProvider(kind, settings, async (provider) => {
      const current = await provider.read(workspace)
      if (!current) return
      if (!current.record) throw unreadableLock(provider, workspace, current)
      const holder = current.record
      if (isExpired(holder) || holder.owner === settings.owner) return
      throw heldByOther(
        workspace.name,
        holder,
        doing,
        `wait until ${holder.owner} runs "provisioning workspace unlock ${workspace.name}"${holder.expires_at ? ` or the lock expires (${holder.expires_at})` : ''}; "provisioning workspace info ${workspace.name}" shows the lock`,
      )
    })
  }
}
