import type {Etcd3} from 'etcd3'

import {etcdError, openEtcd} from './etcd-client.js'
import type {LockProvider, LockTarget} from './provider.js'
import {type LockRecord, type LockSnapshot, parseRecord} from './record.js'
import type {EtcdSettings} from './settings.js'

interface KeyValue {
  value: Buffer
  mod_revision: string
}

/**
 * Locks as keys `<prefix>/<workspace name>` in etcd v3. Creation is a transaction guarded by
 * `create_revision == 0`, so of many concurrent lockers exactly one writes the key; the
 * losers get the winner's value from the same transaction. A TTL is a lease granted once and
 * never kept alive or revoked by us: the lock must outlive this short-lived process, and etcd
 * deletes the key when the lease runs out.
 */
export class EtcdLockProvider implements LockProvider {
  readonly kind = 'etcd' as const

  private constructor(
    private readonly client: Etcd3,
    private readonly settings: EtcdSettings,
  ) {}

  static async open(settings: EtcdSettings): Promise<EtcdLockProvider> {
    return new EtcdLockProvider(await openEtcd(settings), settings)
  }

  key(target: LockTarget): string {
    return `${this.settings.prefix}/${target.name}`
  }

  location(target: LockTarget): string {
    return `etcd ${this.settings.endpoints.join(',')} key ${this.key(target)}`
  }

  async read(target: LockTarget): Promise<LockSnapshot | undefined> {
    const response = await this.call('read the workspace lock', () => this.client.get(this.key(target)).exec())
    return snapshotOf(response.kvs[0] as KeyValue | undefined)
  }

  async create(target: LockTarget, record: LockRecord, ttlSeconds: number): Promise<{created: true} | {created: false; current?: LockSnapshot}> {
    const key = this.key(target)
    return this.call('take the workspace lock', async () => {
      const lease = ttlSeconds > 0 ? (await this.client.leaseClient.leaseGrant({TTL: ttlSeconds, ID: 0})).ID : undefined
      const put = this.client.put(key).value(JSON.stringify(record))
      if (lease) put.lease(lease)
      const result = await this.client.if(key, 'Create', '==', 0).then(put).else(this.client.get(key)).commit()
      if (result.succeeded) return {created: true as const}
      // The lease was for a lock we did not get: let it go now rather than at its TTL.
      if (lease) await this.client.leaseClient.leaseRevoke({ID: lease}).catch(() => undefined)
      return {created: false as const, current: snapshotOf(result.responses[0]?.response_range?.kvs[0] as KeyValue | undefined)}
    })
  }

  async replace(target: LockTarget, token: string, record: LockRecord, ttlSeconds: number): Promise<boolean> {
    const key = this.key(target)
    return this.call('take over the workspace lock', async () => {
      const lease = ttlSeconds > 0 ? (await this.client.leaseClient.leaseGrant({TTL: ttlSeconds, ID: 0})).ID : undefined
      const put = this.client.put(key).value(JSON.stringify(record))
      if (lease) put.lease(lease)
      const result = await this.client.if(key, 'Mod', '==', token).then(put).commit()
      if (!result.succeeded && lease) await this.client.leaseClient.leaseRevoke({ID: lease}).catch(() => undefined)
      return result.succeeded
    })
  }

  async remove(target: LockTarget, token: string): Promise<boolean> {
    const key = this.key(target)
    return this.call('release the workspace lock', async () => {
      const result = await this.client.if(key, 'Mod', '==', token).then(this.client.delete().key(key)).commit()
      return result.succeeded
    })
  }

  async close(): Promise<void> {
    this.client.close()
  }

  private async call<T>(doing: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw etcdError(error, this.settings, doing)
    }
  }
}

function snapshotOf(kv: KeyValue | undefined): LockSnapshot | undefined {
  if (!kv) return undefined
  return parseRecord(kv.value.toString('utf8'), String(kv.mod_revision))
}
