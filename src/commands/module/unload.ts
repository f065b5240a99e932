import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatChange} from '../../cli/format/module.js'
import {moduleType} from '../../lib/module/module-types.js'
import {changeModules, type ModuleChange, splitWorkspaceArgument} from '../../lib/module/modules.js'

export default class ModuleUnload extends BaseCommand<typeof ModuleUnload> {
  static summary = "Remove modules from the workspace's dependencies and uninstall what is no longer required"
  static audit = true
  static strict = false
  static args = {
    type: Args.string({description: 'provider, taskserv or cluster', required: true}),
    name: Args.string({description: '[WORKSPACE] NAME...: modules to unload', required: true}),
  }

  async run(): Promise<ModuleChange> {
    const [type, ...rest] = this.positionals
    const {workspace, names} = await splitWorkspaceArgument(this.home, rest)
    const session = this.session().forWorkspace(workspace)
    const result = await changeModules({config: session.config, reloadConfig: session.loadConfig, type: moduleType(type), remove: names})
    return this.present(result, formatChange)
  }
}
