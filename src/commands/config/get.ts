import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {scalar} from '../../cli/format/config.js'
import {getConfigValue} from '../../lib/config/query.js'

export default class ConfigGet extends BaseCommand<typeof ConfigGet> {
  static summary = 'Print one config value, raw (for scripts)'
  static examples = ['REG=$(<%= config.bin %> config get oci.registry)']
  static args = {key: Args.string({description: 'dotted key path', required: true})}

  async run(): Promise<{key: string; value: unknown}> {
    return this.present(await getConfigValue(await this.session().config(), this.args.key), (r) => scalar(r.value))
  }
}
