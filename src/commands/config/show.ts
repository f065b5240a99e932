import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatConfigShow} from '../../cli/format/config.js'
import {type ConfigShowResult, showConfig} from '../../lib/config/query.js'

export default class ConfigShow extends BaseCommand<typeof ConfigShow> {
  static summary = 'Show the merged configuration, or one key or table of it'
  static description = 'With --origin, every value is shown with the layer and file:line that set it, and the values it overrode.'
  static examples = ['<%= config.bin %> config show', '<%= config.bin %> config show oci --origin', '<%= config.bin %> config show oci.registry --json']
  static args = {key: Args.string({description: 'dotted key path (e.g. oci or oci.registry)'})}
  static flags = {origin: Flags.boolean({description: 'show the layer and file:line of every value'})}

  async run(): Promise<ConfigShowResult> {
    return this.present(await showConfig(this.session().loadConfig, this.args.key, this.flags.origin), formatConfigShow)
  }
}
