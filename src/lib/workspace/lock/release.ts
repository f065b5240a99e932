import {BusyError, RegistryError} from '../../errors.js'
import {withProvider} from './provider.js'
import {heldByOther, isExpired, type LockRecord} from './record.js'
import {type LockProviderKind, providerForLocking, providersToCheck} from './settings.js'
import {type LockTargetOptions, openTarget, unreadableLock} from './target.js'

export interface UnlockOptions extends LockTargetOptions {
  provider?: string
  force?: boolean
}

export interface UnlockResult {
  workspace: string
  path: string
  /** False when there was no lock: unlocking an unlocked workspace is not an error (scripts, after_script). */
  unlocked: boolean
  provider?: LockProviderKind
  location?: string
  /** The lock that was removed. */
  holder?: LockRecord
  /** Someone else's live lock removed with --force. */
  forced: boolean
  /** The removed lock had expired already (anyone may remove it). */
  expired: boolean
  /** The removed lock was unreadable (only --force removes it). */
  unreadable?: boolean
}

/**
 * `workspace unlock`: the owner removes their lock; anyone removes an expired one; someone
 * else's live lock only with --force. The removal is conditional on the lock being the one
 * inspected, so a lock taken in between is never removed by mistake.
 */
export async function unlockWorkspace(options: UnlockOptions): Promise<UnlockResult> {
  const {target, settings} = await openTarget(options)
  const kinds = options.provider ? [providerForLocking(settings, options.provider)] : providersToCheck(settings)
  const force = Boolean(options.force)
  const base = {workspace: target.name, path: target.path}
  // A lock we may not remove is remembered, not thrown at once: with etcd configured, the
  // caller's own lock may still be in the file (or the other way round).
  let refusal: Error | undefined
  for (const kind of kinds) {
    const done = await withProvider(kind, settings, async (provider): Promise<UnlockResult | undefined> => {
      const at = {provider: kind, location: provider.location(target)}
      for (let round = 0; round < 5; round++) {
        const current = await provider.read(target)
        if (!current) return undefined
        if (!current.record) {
          if (!force) {
            refusal ??= unreadableLock(provider, target, current)
            return undefined
          }
          if (await provider.remove(target, current.token)) return {...base, ...at, unlocked: true, forced: true, expired: false, unreadable: true}
          continue
        }
        const holder = current.record
        const expired = isExpired(holder)
        const mine = holder.owner === settings.owner
        if (!mine && !expired && !force) {
          refusal ??= heldByOther(
            target.name,
            holder,
            'unlock it',
            `only ${holder.owner} should unlock it; if they are gone, pass --force to remove their lock anyway`,
          )
          return undefined
        }
        if (await provider.remove(target, current.token)) return {...base, ...at, unlocked: true, holder, forced: !mine && !expired, expired}
      }
      throw new BusyError(`the lock of workspace ${target.name} kept changing while removing it`, {
        hint: 'another process is locking and unlocking it right now; try again',
      })
    }).catch((error: unknown) => {
      // With etcd down, a lock in the workspace's file can still be removed on its own.
      if (kind !== 'etcd' || options.provider || !(error instanceof RegistryError)) throw error
      throw new RegistryError(error.message, {
        hint: `${error.hint ?? 'check etcd'}; a lock in the workspace's file is removed with "provisioning workspace unlock ${target.name} --provider file"`,
        details: error.details,
        cause: error,
      })
    })
    if (done) return done
  }
  if (refusal) throw refusal
  return {...base, unlocked: false, forced: false, expired: false}
}
