import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags, yesFlag} from '../../cli/flags.js'
import {formatPull} from '../../cli/format/oci.js'
import {pullExtension, type PullResult} from '../../lib/oci/ops/pull.js'

export default class OciPull extends BaseCommand<typeof OciPull> {
  static summary = 'Pull an extension and unpack it into a folder'
  static description = 'Without a version, the highest semver tag is pulled. Content is verified against its digest before it is cached or unpacked.'
  static examples = ['<%= config.bin %> oci pull redis:7.2.0', '<%= config.bin %> oci pull oci://localhost:5000/provisioning-extensions/redis --output ./vendor/redis']
  static args = {reference: Args.string({description: 'NAME[:VERSION] or a full reference', required: true})}
  static flags = {
    ...ociFlags,
    ...yesFlag,
    output: Flags.string({char: 'o', description: 'folder to unpack into (default: ./NAME)'}),
  }

  async run(): Promise<PullResult> {
    const result = await this.withTransfer(`pull ${this.args.reference}`, () => pullExtension({
      ...this.loadOptions(),
      reference: this.args.reference,
      output: this.flags.output,
      overwrite: this.flags.yes,
      insecure: this.flags.insecure || undefined,
      concurrency: this.flags.concurrency,
    }))
    return this.present(result, formatPull)
  }
}
