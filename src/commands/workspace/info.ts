import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatInfo} from '../../cli/format/workspace.js'
import {type WorkspaceInfo, workspaceInfo} from '../../lib/workspace/info.js'

export default class WorkspaceInfoCommand extends BaseCommand<typeof WorkspaceInfoCommand> {
  static summary = 'Show a workspace: paths, mode, environment, installed extensions, lock state'
  static args = {name: Args.string({description: 'workspace name or path (default: the current workspace)'})}

  async run(): Promise<WorkspaceInfo> {
    return this.present(await workspaceInfo(await this.session().forWorkspace(this.args.name).config()), formatInfo)
  }
}
