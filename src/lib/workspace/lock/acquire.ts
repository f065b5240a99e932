import {BusyError} from '../../errors.js'
import {withProvider} from './provider.js'
import {heldByOther, isExpired, type LockRecord, newRecord} from './record.js'
import {type LockProviderKind, providerForLocking} from './settings.js'
import {type LockTargetOptions, openTarget, unreadableLock} from './target.js'

export interface LockOptions extends LockTargetOptions {
  provider?: string
  reason?: string
  /** Seconds until the lock goes stale; default locking.ttl_seconds (0: until unlocked). */
  ttlSeconds?: number
}

export interface LockResult {
  workspace: string
  path: string
  provider: LockProviderKind
  location: string
  /** The lock now in place. */
  lock: LockRecord
  /** An expired lock of someone else that this call took over. */
  replaced?: LockRecord
}

/** `workspace lock`: exactly one of many concurrent callers gets the lock; the others exit 9 naming it. */
export async function lockWorkspace(options: LockOptions): Promise<LockResult> {
  const {target, settings} = await openTarget(options)
  const kind = providerForLocking(settings, options.provider)
  const ttlSeconds = options.ttlSeconds ?? settings.ttlSeconds
  const record = newRecord({workspace: target.name, owner: settings.owner, provider: kind, reason: options.reason, ttlSeconds})
  return withProvider(kind, settings, async (provider) => {
    const result = (lock: LockRecord, extra: Partial<LockResult> = {}): LockResult => ({
      workspace: target.name,
      path: target.path,
      provider: kind,
      location: provider.location(target),
      lock,
      ...extra,
    })
    // A few rounds: the lock may be released or taken over between our attempt and our look.
    for (let round = 0; round < 5; round++) {
      const outcome = await provider.create(target, record, ttlSeconds)
      if (outcome.created) return result(record)
      const current = outcome.current
      if (!current) continue
      if (!current.record) throw unreadableLock(provider, target, current)
      const holder = current.record
      if (isExpired(holder)) {
        if (await provider.replace(target, current.token, record, ttlSeconds)) return result(record, {replaced: holder})
        continue
      }
      // Not re-entrant: two CI jobs of one user on one runner share an owner name, and the
      // first one's unlock would pull the lock from under the second.
      if (holder.owner === settings.owner) {
        throw heldByOther(
          target.name,
          holder,
          'lock it again',
          `it is your own lock (owner ${settings.owner}): go ahead with your changes, or "provisioning workspace unlock ${target.name}" first; give concurrent jobs distinct owners (locking.owner, e.g. PROVISIONING_LOCKING__OWNER=ci-$CI_JOB_ID)`,
        )
      }
      throw heldByOther(
        target.name,
        holder,
        'lock it',
        `wait until ${holder.owner} runs "provisioning workspace unlock ${target.name}"${holder.expires_at ? ` or the lock expires (${holder.expires_at})` : ''}`,
      )
    }
    throw new BusyError(`the lock of workspace ${target.name} kept changing while taking it`, {
      hint: 'another process is locking and unlocking it right now; try again',
    })
  })
}
