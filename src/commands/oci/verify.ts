import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatVerify} from '../../cli/format/signing.js'
import {verifyArtifact, type VerifyArtifactResult} from '../../lib/oci/ops/verify.js'

export default class OciVerify extends BaseCommand<typeof OciVerify> {
  static summary = 'Check the signatures of an artifact against trusted public keys (offline; exit 8 when none is valid)'
  static description =
    'Every Sigstore bundle attached to the manifest is checked: signed by a trusted key, over an in-toto statement naming this manifest digest. Keys come from --key (repeatable), else oci.trusted_keys. Keyless (certificate) signatures are reported, not verified.'
  static examples = ['<%= config.bin %> oci verify redis:7.2.5 --key release.pub', '<%= config.bin %> oci verify oci-layout://./store/team/redis:7.2.5 --json']
  static args = {reference: Args.string({description: 'the artifact: NAME:VERSION, a full reference or one by digest', required: true})}
  static flags = {
    ...ociFlags,
    key: Flags.string({char: 'k', description: 'a trusted public key (PEM), repeatable (default: oci.trusted_keys)', multiple: true}),
  }

  async run(): Promise<VerifyArtifactResult> {
    const result = await verifyArtifact({
      config: this.session().config,
      reference: this.args.reference,
      keyFiles: this.flags.key ?? [],
      insecure: this.flags.insecure || undefined,
    })
    return this.present(result, formatVerify)
  }
}
