import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags, preFlag} from '../../cli/flags.js'
import {formatInspect} from '../../cli/format/oci.js'
import {inspectArtifact, type InspectResult} from '../../lib/oci/ops/inspect.js'

export default class OciInspect extends BaseCommand<typeof OciInspect> {
  static summary = 'Show an artifact: digest, size, media types, annotations, the extension manifest and its referrers (signatures)'
  static args = {reference: Args.string({description: 'NAME:VERSION or a full reference', required: true})}
  static flags = {...ociFlags, ...preFlag}

  async run(): Promise<InspectResult> {
    return this.present(
      await inspectArtifact({
        config: this.session().config,
        reference: this.args.reference,
        insecure: this.flags.insecure || undefined,
        pre: this.flags.pre,
        onWarning: this.noteWarning,
      }),
      formatInspect,
    )
  }
}
