import type {LockRecord, LockSnapshot} from './record.js'
import type {LockProviderKind, LockSettings} from './settings.js'

/** The workspace a lock is about: its name keys the etcd entry, its path holds the file. */
export interface LockTarget {
  name: string
  path: string
}

/**
 * Storage for workspace locks. Every change is conditional, so concurrent CLIs cannot
 * overwrite each other: `create` succeeds for exactly one of many callers, `replace` and
 * `remove` only act while the lock is still the version (`token`) the caller inspected.
 */
export interface LockProvider {
  readonly kind: LockProviderKind
  /** The lock file, or `etcd <endpoints> <key>`: for messages. */
  location(target: LockTarget): string
  read(target: LockTarget): Promise<LockSnapshot | undefined>
  create(target: LockTarget, record: LockRecord, ttlSeconds: number): Promise<{created: true} | {created: false; current?: LockSnapshot}>
  replace(target: LockTarget, token: string, record: LockRecord, ttlSeconds: number): Promise<boolean>
  remove(target: LockTarget, token: string): Promise<boolean>
  close(): Promise<void>
}

/** Opens a provider; etcd (and its gRPC stack) is imported only when asked for. */
export async function openProvider(kind: LockProviderKind, settings: LockSettings): Promise<LockProvider> {
  if (kind === 'etcd') {
    const {EtcdLockProvider} = await import('./etcd-provider.js')
    return EtcdLockProvider.open(settings.etcd)
  }
  const {FileLockProvider} = await import('./file-provider.js')
  return new FileLockProvider()
}

export async function withProvider<T>(kind: LockProviderKind, settings: LockSettings, work: (provider: LockProvider) => Promise<T>): Promise<T> {
  const provider = await openProvider(kind, settings)
  try {
    return await work(provider)
  } finally {
    await provider.close()
  }
}
