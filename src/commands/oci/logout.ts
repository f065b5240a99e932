import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {logout} from '../../lib/oci/ops/login.js'

export default class OciLogout extends BaseCommand<typeof OciLogout> {
  static summary = 'Remove the stored credentials of a registry'
  static audit = true
  static args = {registry: Args.string({description: 'registry host[:port]', required: true})}

  async run(): Promise<{registry: string; removed: boolean; authFile: string}> {
    const result = await logout({config: this.session().config, registry: this.args.registry})
    return this.present(result, (r) => (r.removed ? `logged out of ${r.registry}` : `no stored credentials for ${r.registry}`))
  }
}
