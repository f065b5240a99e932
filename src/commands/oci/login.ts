import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {login, type LoginResult} from '../../lib/oci/ops/login.js'

export default class OciLogin extends BaseCommand<typeof OciLogin> {
  static summary = 'Verify credentials for a registry and store them in auth.json (mode 0600)'
  static audit = true
  static description = 'The password comes from --password-stdin or a TTY prompt, never from argv. Nothing is saved when the registry rejects the credentials.'
  static examples = ['echo "$REGISTRY_PASSWORD" | <%= config.bin %> oci login harbor.example.com --username ci --password-stdin']
  static args = {registry: Args.string({description: 'registry host[:port]', required: true})}
  static flags = {
    ...ociFlags,
    username: Flags.string({char: 'u', description: 'user name'}),
    'password-stdin': Flags.boolean({description: 'read the password from standard input'}),
  }

  async run(): Promise<LoginResult> {
    const username = this.flags.username ?? (await this.ask('Username: '))
    const password = this.flags['password-stdin'] ? await this.readStdin() : await this.ask('Password: ', true)
    const result = await login({config: this.session().config, registry: this.args.registry, username, password, insecure: this.flags.insecure || undefined})
    return this.present(result, (r) => `logged in to ${r.registry} as ${r.username} (saved in ${r.authFile})`)
  }
}
