import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatModuleList} from '../../cli/format/module.js'
import {moduleType} from '../../lib/module/module-types.js'
import {listModules, type ModuleListing} from '../../lib/module/modules.js'

export default class ModuleList extends BaseCommand<typeof ModuleList> {
  static summary = 'List the modules a workspace declares, with locked versions and install state'
  static args = {
    type: Args.string({description: 'provider, taskserv or cluster (default: all)'}),
    workspace: Args.string({description: 'workspace name or path (default: the current one)'}),
  }

  async run(): Promise<ModuleListing> {
    const result = await listModules({
      config: this.session().forWorkspace(this.args.workspace).config,
      type: this.args.type ? moduleType(this.args.type) : undefined,
    })
    return this.present(result, formatModuleList)
  }
}
