import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {describeEvent, formatPush} from '../../cli/format/oci.js'
import {pushExtension, type PushResult} from '../../lib/oci/ops/push.js'

export default class OciPush extends BaseCommand<typeof OciPush> {
  static summary = 'Package an extension folder and push it as an OCI artifact'
  static description = 'Name and version default to manifest.yaml. Blobs the registry already holds are not sent again; the same folder always gives the same digest.'
  static examples = ['<%= config.bin %> oci push ./redis', '<%= config.bin %> oci push ./redis --dry-run --json', 'PROVISIONING_OCI__REGISTRY=oci-layout://./store <%= config.bin %> oci push ./redis']
  static args = {
    dir: Args.string({description: 'extension folder (holds manifest.yaml)', required: true}),
    name: Args.string({description: 'extension name (must match manifest.yaml)'}),
    version: Args.string({description: 'version (must match manifest.yaml)'}),
  }
  static flags = {
    ...ociFlags,
    'dry-run': Flags.boolean({description: 'package and compute the digest, push nothing'}),
  }

  async run(): Promise<PushResult> {
    const result = await this.withTransfer(`push ${this.args.name ?? this.args.dir}`, (onEvent) => pushExtension({
      ...this.loadOptions(),
      dir: this.args.dir,
      name: this.args.name,
      version: this.args.version,
      dryRun: this.flags['dry-run'],
      insecure: this.flags.insecure || undefined,
      concurrency: this.flags.concurrency,
      onEvent: (event) => onEvent(describeEvent(event)),
    }))
    return this.present(result, formatPush)
  }
}
