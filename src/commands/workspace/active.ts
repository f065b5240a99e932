import {BaseCommand} from '../../cli/base-command.js'
import {activeWorkspace, type WorkspaceListing} from '../../lib/workspace/manage.js'

export default class WorkspaceActive extends BaseCommand<typeof WorkspaceActive> {
  static summary = 'Print the active workspace'

  async run(): Promise<WorkspaceListing> {
    return this.present(await activeWorkspace(this.home), (w) => `${w.name}\t${w.path}${w.exists ? '' : '\t(missing folder)'}`)
  }
}
