import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags, preFlag, yesFlag} from '../../cli/flags.js'
import {formatBatchPull, formatPull, transferListeners} from '../../cli/format/oci.js'
import {canPrompt} from '../../cli/prompt.js'
import {OutputNotEmptyError, pullExtension, pullExtensions, type PullResult} from '../../lib/oci/ops/pull.js'

export default class OciPull extends BaseCommand<typeof OciPull> {
  static summary = 'Pull extensions and unpack them into folders'
  static description =
    'Without a version, the latest stable version is pulled (--pre: the highest, pre-releases included). Content is verified against its digest before it is cached or unpacked. With several references, each goes to OUTPUT/NAME (default ./NAME), pulled in parallel by one process; two references for the same folder (two versions of one extension) are refused before anything is fetched. A non-empty output folder is replaced only after a yes at the terminal, or with --yes (required without a terminal).'
  static examples = [
    '<%= config.bin %> oci pull redis:7.2.0',
    '<%= config.bin %> oci pull oci://localhost:5000/provisioning-extensions/redis --output ./vendor/redis',
    '<%= config.bin %> oci pull redis:7.2.0 etcd:3.5.9 --output ./vendor',
  ]
  static strict = false
  static args = {reference: Args.string({description: 'NAME[:VERSION] or a full reference; several pull a batch', required: true})}
  static flags = {
    ...ociFlags,
    ...yesFlag,
    ...preFlag,
    output: Flags.string({char: 'o', description: 'folder to unpack into (default: ./NAME); with several references, the parent folder'}),
  }

  async run(): Promise<PullResult | {pulled: PullResult[]}> {
    try {
      return await this.pull(this.flags.yes)
    } catch (error) {
      // Nothing was written yet: ask at a terminal, then pull again allowed to replace.
      if (!(error instanceof OutputNotEmptyError) || !canPrompt() || this.jsonEnabled()) throw error
      await this.confirm(`${error.message}; replace ${error.outputs.length === 1 ? 'it' : 'them'}?`, false)
      return this.pull(true)
    }
  }

  private async pull(overwrite: boolean): Promise<PullResult | {pulled: PullResult[]}> {
    const common = {
      config: this.session().config,
      output: this.flags.output,
      overwrite,
      insecure: this.flags.insecure || undefined,
      concurrency: this.flags.concurrency,
      pre: this.flags.pre,
      onWarning: this.noteWarning,
    }
    if (this.positionals.length > 1) {
      const result = await this.withTransfer(`pull ${this.positionals.length} extensions`, (report, bytes) =>
        pullExtensions({...common, references: this.positionals, onBytes: transferListeners(report, bytes).onBytes}),
      )
      return this.present(result, formatBatchPull)
    }
    const result = await this.withTransfer(`pull ${this.args.reference}`, (report, bytes) =>
      pullExtension({...common, reference: this.args.reference, onBytes: transferListeners(report, bytes).onBytes}),
    )
    return this.present(result, formatPull)
  }
}
