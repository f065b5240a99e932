import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatUpdate} from '../../cli/format/deps.js'
import {type DepUpdateResult, updateWorkspace} from '../../lib/deps/update.js'

export default class DepUpdate extends BaseCommand<typeof DepUpdate> {
  static summary = 'Re-resolve allowing newer versions (all, or the named extensions), install, rewrite the lock'
  static description =
    "Prints each extension's locked and new version and the change (upgraded, downgraded, added, removed, kept); " +
    'a named extension that keeps its version is explained. An unknown NAME exits 4 with the nearest known name. ' +
    'A locked version whose tag now names other content (republished) stops the update with exit 8; after checking the new content, ' +
    "--accept-republished with the NAME re-locks it at the registry's current digest (recorded in the audit log), and only it."
  static examples = [
    '<%= config.bin %> dep update --dry-run',
    '<%= config.bin %> dep update containerd redis',
    '<%= config.bin %> dep update redis --accept-republished',
  ]
  static audit = true
  static strict = false
  static args = {name: Args.string({description: 'extensions to update (default: all)'})}
  static flags = {
    'dry-run': Flags.boolean({description: 'show what would change; install nothing, write nothing'}),
    concurrency: Flags.integer({description: 'parallel downloads (default: oci.concurrency)', min: 1}),
    'accept-republished': Flags.boolean({description: 'take the new content of the named extensions whose locked version was republished'}),
  }

  async run(): Promise<DepUpdateResult> {
    const result = await this.withTransfer('dep update', (report) =>
      updateWorkspace({
        config: this.session().config,
        names: this.positionals,
        dryRun: this.flags['dry-run'],
        concurrency: this.flags.concurrency,
        acceptRepublished: this.flags['accept-republished'],
        onProgress: report,
      }),
    )
    if (result.acceptedRepublished.length > 0 && !result.dryRun) this.auditDetails = {acceptedRepublished: result.acceptedRepublished}
    for (const warning of result.warnings) this.note(`Warning: ${warning}`)
    return this.present(result, formatUpdate)
  }
}
