import {Flags} from '@oclif/core'

import {BaseCommand} from '../../../cli/base-command.js'
import {formatKeyGenerate} from '../../../cli/format/signing.js'
import {signingPassphrase} from '../../../cli/passphrase.js'
import {DEFAULT_KEY_NAME, generateSigningKey, type KeyGenerateResult} from '../../../lib/oci/ops/key.js'

export default class OciKeyGenerate extends BaseCommand<typeof OciKeyGenerate> {
  static summary = 'Make an ECDSA P-256 key pair for signing artifacts (private key encrypted, mode 0600)'
  static audit = true
  static description =
    'Writes NAME.key (PKCS#8 PEM, encrypted with the passphrase) and NAME.pub (the public key to give to those who verify). The passphrase comes from --password-stdin, PROVISIONING_SIGNING_PASSWORD or a TTY prompt (asked twice), never from argv. Existing files are kept unless --force.'
  static examples = [
    '<%= config.bin %> oci key generate --output ~/.provisioning/keys --name release',
    'printf %s "$KEY_PASSPHRASE" | <%= config.bin %> oci key generate --password-stdin --json',
  ]
  static flags = {
    output: Flags.string({char: 'o', description: 'folder to write the key pair to (default: the working folder)'}),
    name: Flags.string({description: 'file name of the pair: NAME.key and NAME.pub', default: DEFAULT_KEY_NAME}),
    'password-stdin': Flags.boolean({description: 'read the passphrase from standard input'}),
    force: Flags.boolean({description: 'replace an existing key pair of that name'}),
  }

  async run(): Promise<KeyGenerateResult> {
    const passphrase = await signingPassphrase({stdin: this.flags['password-stdin'], confirm: true})
    const result = await generateSigningKey({output: this.flags.output, name: this.flags.name, passphrase, force: this.flags.force})
    return this.present(result, formatKeyGenerate)
  }
}
