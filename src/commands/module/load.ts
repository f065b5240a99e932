import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatChange} from '../../cli/format/module.js'
import {LOAD_SOURCES} from '../../lib/module/load-source.js'
import {moduleType} from '../../lib/module/module-types.js'
import {changeModules, type ModuleChange, splitWorkspaceArgument} from '../../lib/module/modules.js'

export default class ModuleLoad extends BaseCommand<typeof ModuleLoad> {
  static summary = "Add modules to the workspace's dependencies and install them (through the resolver)"
  static audit = true
  static description =
    'NAME may carry a version or range: redis:7.2.0, cilium@^1.14. Dependencies come along. If resolution fails, the workspace config is left as it was.'
  static examples = [
    '<%= config.bin %> module load taskserv redis cilium@^1.14',
    '<%= config.bin %> module load provider demo aws:2.1.0',
    '<%= config.bin %> module load taskserv redis --source local',
  ]
  static strict = false
  static flags = {
    source: Flags.option({
      options: LOAD_SOURCES,
      description:
        "where the modules must come from; must be the workspace's dependencies.extensions.source_type (exit 3 otherwise, 4 for a missing local folder)",
    })(),
  }

  static args = {
    type: Args.string({description: 'provider, taskserv or cluster', required: true}),
    name: Args.string({description: '[WORKSPACE] NAME...: modules to load', required: true}),
  }

  async run(): Promise<ModuleChange> {
    const [type, ...rest] = this.positionals
    const {workspace, names} = await splitWorkspaceArgument(this.home, rest)
    const session = this.session().forWorkspace(workspace)
    const result = await changeModules({
      config: session.config,
      reloadConfig: session.loadConfig,
      type: moduleType(type),
      add: names,
      source: this.flags.source,
    })
    return this.present(result, formatChange)
  }
}
