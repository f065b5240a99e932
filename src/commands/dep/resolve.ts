import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatResolveWithChanges} from '../../cli/format/deps.js'
import {type DepResolveResult, resolveWorkspace} from '../../lib/deps/resolve-workspace.js'

export default class DepResolve extends BaseCommand<typeof DepResolve> {
  static summary = "Resolve the workspace's extension dependencies, install them and write the lockfile"
  static audit = true
  static description =
    'Follows config/provisioning.lock while the declaration is unchanged (no registry request); otherwise resolves the highest versions that satisfy every constraint. Installs into extensions/{type}s/{name}/ atomically and removes extensions no longer required.'
  static examples = [
    '<%= config.bin %> dep resolve',
    '<%= config.bin %> dep resolve --frozen   # CI: fail (exit 10) if the lockfile is missing or stale',
    '<%= config.bin %> dep resolve --offline --json',
    '<%= config.bin %> dep resolve --force   # repair: reinstall extensions whose files were changed',
  ]
  static flags = {
    frozen: Flags.boolean({description: 'fail with exit 10 if the lockfile is missing or out of date; never write it'}),
    offline: Flags.boolean({description: 'use only the local cache; no registry request'}),
    'dry-run': Flags.boolean({description: 'resolve and print the plan; install nothing, write nothing'}),
    force: Flags.boolean({description: 'compare every installed extension with the locked content and reinstall those that differ (from the cache)'}),
    concurrency: Flags.integer({description: 'parallel downloads (default: oci.concurrency)', min: 1}),
  }

  async run(): Promise<DepResolveResult> {
    const result = await this.withTransfer('dep resolve', (report) =>
      resolveWorkspace({
        config: this.session().config,
        frozen: this.flags.frozen,
        offline: this.flags.offline,
        dryRun: this.flags['dry-run'],
        force: this.flags.force,
        concurrency: this.flags.concurrency,
        onProgress: report,
      }),
    )
    for (const warning of result.warnings) this.note(`Warning: ${warning}`)
    return this.present(result, formatResolveWithChanges)
  }
}
