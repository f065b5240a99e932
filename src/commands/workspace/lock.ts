import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatLock} from '../../cli/format/workspace.js'
import type {LockResult} from '../../lib/workspace/lock/index.js'

export default class WorkspaceLock extends BaseCommand<typeof WorkspaceLock> {
  static summary = 'Lock a workspace for yourself: others get exit 9 from mutating commands until you unlock it'
  static description =
    'Records owner (locking.owner, default user@host), host, pid, time, reason and expiry. Provider file writes <workspace>/config/workspace.lock; provider etcd stores <locking.etcd.prefix>/<name> in etcd (a TTL becomes a lease). Without --provider, locking.provider decides ("none" locks with the file provider).'
  static examples = ['<%= config.bin %> workspace lock prod --reason "release 1.4"', '<%= config.bin %> workspace lock prod --provider etcd --ttl 3600']
  static audit = true
  static args = {name: Args.string({description: 'workspace name or path', required: true})}
  static flags = {
    provider: Flags.string({description: 'where the lock lives (default: locking.provider)', options: ['file', 'etcd']}),
    reason: Flags.string({description: 'why, shown to whoever is blocked'}),
    ttl: Flags.integer({description: 'seconds until the lock goes stale (default: locking.ttl_seconds; 0: until unlocked)', min: 0}),
  }

  async run(): Promise<LockResult> {
    const {lockWorkspace} = await import('../../lib/workspace/lock/index.js')
    const result = await lockWorkspace({
      config: await this.session().forWorkspace(this.args.name).config(),
      provider: this.flags.provider,
      reason: this.flags.reason,
      ttlSeconds: this.flags.ttl,
    })
    return this.present(result, formatLock)
  }
}
