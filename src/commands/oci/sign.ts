import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatSign} from '../../cli/format/signing.js'
import {signingPassphrase} from '../../cli/passphrase.js'
import {signArtifact, type SignArtifactResult} from '../../lib/oci/ops/sign.js'

export default class OciSign extends BaseCommand<typeof OciSign> {
  static summary = 'Sign an artifact: a Sigstore bundle attached as an OCI referrer of its manifest (as cosign 3 does)'
  static audit = true
  static description =
    'A tag is resolved first: the signature names the manifest digest, never the tag. The bundle (a DSSE envelope over an in-toto statement) is pushed next to the artifact; registries without the referrers API get the sha256-<hex> referrers tag. Works on registries and oci-layout:// stores.'
  static examples = [
    '<%= config.bin %> oci sign redis:7.2.5 --key ~/.provisioning/keys/release.key',
    'printf %s "$KEY_PASSPHRASE" | <%= config.bin %> oci sign oci://localhost:5000/team/redis:7.2.5 --key release.key --password-stdin --json',
  ]
  static args = {reference: Args.string({description: 'the artifact: NAME:VERSION, a full reference or one by digest', required: true})}
  static flags = {
    ...ociFlags,
    key: Flags.string({char: 'k', description: 'the private key (PEM) to sign with', required: true}),
    'password-stdin': Flags.boolean({description: "read the key's passphrase from standard input"}),
  }

  async run(): Promise<SignArtifactResult> {
    const result = await signArtifact({
      config: this.session().config,
      reference: this.args.reference,
      keyFile: this.flags.key,
      passphrase: () => signingPassphrase({stdin: this.flags['password-stdin']}),
      insecure: this.flags.insecure || undefined,
    })
    return this.present(result, formatSign)
  }
}
