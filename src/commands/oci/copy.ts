import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags, preFlag} from '../../cli/flags.js'
import {formatCopy, transferListeners} from '../../cli/format/oci.js'
import {type CopyCommandResult, copyReference} from '../../lib/oci/ops/copy.js'

export default class OciCopy extends BaseCommand<typeof OciCopy> {
  static summary = 'Copy an artifact between registries, repositories or layouts'
  static audit = true
  static description =
    'Within one registry, blobs are mounted across repositories instead of re-uploaded. The OCI 1.1 referrers of the artifact (signatures, and any other attached artifact such as an SBOM or attestation) are copied along; --no-signatures skips every referrer, signatures included.'
  static examples = [
    '<%= config.bin %> oci copy redis:7.2.0 oci://harbor.example.com/prod/redis:7.2.0',
    '<%= config.bin %> oci copy redis:7.2.0 oci-layout://./mirror/redis:7.2.0',
    '<%= config.bin %> oci copy redis:7.2.0 oci://harbor.example.com/prod/redis:7.2.0 --no-signatures',
  ]
  static args = {
    source: Args.string({description: 'source reference', required: true}),
    destination: Args.string({description: 'destination reference (tag defaults to the source tag)', required: true}),
  }
  static flags = {
    ...ociFlags,
    ...preFlag,
    signatures: Flags.boolean({
      description: 'copy the referrers (signatures, attestations, SBOMs) along; --no-signatures copies the artifact alone, without any referrer',
      default: true,
      allowNo: true,
    }),
  }

  async run(): Promise<CopyCommandResult> {
    const result = await this.withTransfer(`copy ${this.args.source}`, (report, bytes) =>
      copyReference({
        config: this.session().config,
        source: this.args.source,
        destination: this.args.destination,
        insecure: this.flags.insecure || undefined,
        concurrency: this.flags.concurrency,
        pre: this.flags.pre,
        referrers: this.flags.signatures,
        ...transferListeners(report, bytes),
      }),
    )
    return this.present(result, formatCopy)
  }
}
