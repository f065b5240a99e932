import {BaseCommand} from '../../cli/base-command.js'
import {formatList} from '../../cli/format/workspace.js'
import {listWorkspaces, type WorkspaceListing} from '../../lib/workspace/manage.js'

export default class WorkspaceList extends BaseCommand<typeof WorkspaceList> {
  static summary = 'List registered workspaces (* marks the active one)'

  async run(): Promise<{active?: string; workspaces: WorkspaceListing[]}> {
    return this.present(await listWorkspaces(this.home), formatList)
  }
}
