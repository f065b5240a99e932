import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatBatchPush, formatPush, transferListeners} from '../../cli/format/oci.js'
import {batchDirectories, type BatchPushResult, pushExtension, pushExtensions, type PushResult} from '../../lib/oci/ops/push.js'

export default class OciPush extends BaseCommand<typeof OciPush> {
  static summary = 'Package extension folders and push them as OCI artifacts'
  static audit = true
  static description = 'Name and version default to manifest.yaml. Several folders are pushed by one process, in parallel (oci.concurrency). Blobs the registry already holds are not sent again; the same folder always gives the same digest.'
  static examples = [
    '<%= config.bin %> oci push ./redis',
    '<%= config.bin %> oci push ./extensions-src/taskservs/*',
    '<%= config.bin %> oci push ./redis --dry-run --json',
    'PROVISIONING_OCI__REGISTRY=oci-layout://./store <%= config.bin %> oci push ./redis',
  ]
  static strict = false
  static args = {
    dir: Args.string({description: 'extension folder (holds manifest.yaml); several folders push a batch', required: true}),
    name: Args.string({description: 'extension name (must match manifest.yaml)'}),
    version: Args.string({description: 'version (must match manifest.yaml)'}),
  }
  static flags = {
    ...ociFlags,
    'dry-run': Flags.boolean({description: 'package and compute digests, push nothing'}),
  }

  async run(): Promise<PushResult | BatchPushResult> {
    const common = {...this.loadOptions(), dryRun: this.flags['dry-run'], insecure: this.flags.insecure || undefined, concurrency: this.flags.concurrency}
    const dirs = await batchDirectories(this.positionals, process.cwd())
    if (dirs) {
      const result = await this.withTransfer(`push ${dirs.length} extensions`, (report, bytes) => pushExtensions({...common, dirs, ...transferListeners(report, bytes)}))
      return this.present(result, formatBatchPush)
    }
    const result = await this.withTransfer(`push ${this.args.name ?? this.args.dir}`, (report, bytes) => pushExtension({
      ...common,
      ...transferListeners(report, bytes),
      dir: this.args.dir,
      name: this.args.name,
      version: this.args.version,
    }))
    return this.present(result, formatPush)
  }
}
