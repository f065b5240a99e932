import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags, yesFlag} from '../../cli/flags.js'
import {deleteArtifact, type DeleteResult} from '../../lib/oci/ops/delete.js'

export default class OciDelete extends BaseCommand<typeof OciDelete> {
  static summary = 'Delete one version of an extension from the registry'
  static audit = true
  static description =
    "Deletes the manifest by digest, which removes every tag pointing at it, and its referrers (signatures, attestations) with the list of them (a registry's sha256-<hex> referrers tag). Asks for confirmation on a TTY; without one, --yes is required."
  static args = {reference: Args.string({description: 'NAME:VERSION or a full reference', required: true})}
  static flags = {...ociFlags, ...yesFlag}

  async run(): Promise<DeleteResult> {
    await this.confirm(`delete ${this.args.reference} from the registry?`, this.flags.yes)
    return this.present(
      await deleteArtifact({config: this.session().config, reference: this.args.reference, insecure: this.flags.insecure || undefined}),
      (r) => `deleted ${r.reference} (${r.digest})${r.referrers ? ` and its ${r.referrers.length} referrer${r.referrers.length === 1 ? '' : 's'}` : ''}`,
    )
  }
}
