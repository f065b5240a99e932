import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatUnlock} from '../../cli/format/workspace.js'
import type {UnlockResult} from '../../lib/workspace/lock/index.js'

export default class WorkspaceUnlock extends BaseCommand<typeof WorkspaceUnlock> {
  static summary = "Release your workspace lock (--force removes someone else's)"
  static description =
    'Only the owner (locking.owner, default user@host) may unlock; an expired lock may be removed by anyone; --force removes any lock, including an unreadable one. Unlocking a workspace that is not locked succeeds and says so.'
  static examples = ['<%= config.bin %> workspace unlock prod', '<%= config.bin %> workspace unlock prod --force   # the owner is gone']
  static audit = true
  static args = {name: Args.string({description: 'workspace name or path', required: true})}
  static flags = {
    force: Flags.boolean({description: 'remove the lock even if someone else holds it'}),
    provider: Flags.string({description: 'look only there (default: etcd when configured, and the lock file)', options: ['file', 'etcd']}),
  }

  async run(): Promise<UnlockResult> {
    const {unlockWorkspace} = await import('../../lib/workspace/lock/index.js')
    const result = await unlockWorkspace({
      config: await this.session().forWorkspace(this.args.name).config(),
      provider: this.flags.provider,
      force: this.flags.force,
    })
    return this.present(result, formatUnlock)
  }
}
