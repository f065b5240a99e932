import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatResolve} from '../../cli/format/deps.js'
import {type DepResolveResult, resolveWorkspace} from '../../lib/deps/resolve-workspace.js'

export default class DepUpdate extends BaseCommand<typeof DepUpdate> {
  static summary = 'Re-resolve allowing newer versions (all, or the named extensions), install, rewrite the lock'
  static audit = true
  static strict = false
  static args = {name: Args.string({description: 'extensions to update (default: all)'})}
  static flags = {
    'dry-run': Flags.boolean({description: 'show what would change; install nothing, write nothing'}),
    concurrency: Flags.integer({description: 'parallel downloads (default: oci.concurrency)', min: 1}),
  }

  async run(): Promise<DepResolveResult> {
    const names = this.positionals
    const result = await this.withTransfer('dep update', (report) => resolveWorkspace({
      ...this.loadOptions(),
      update: names.length > 0 ? names : true,
      dryRun: this.flags['dry-run'],
      concurrency: this.flags.concurrency,
      onProgress: report,
    }))
    return this.present(result, formatResolve)
  }
}
