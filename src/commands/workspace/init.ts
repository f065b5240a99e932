import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatInit} from '../../cli/format/workspace.js'
import {createWorkspace, type InitResult} from '../../lib/workspace/init.js'

export default class WorkspaceInit extends BaseCommand<typeof WorkspaceInit> {
  static summary = 'Create a workspace from the template and register it'
  static audit = true
  static description = 'Refuses a folder that is not empty; nothing is written in that case.'
  static examples = ['<%= config.bin %> workspace init demo --path ./demo --activate']
  static args = {name: Args.string({description: 'workspace name', required: true})}
  static flags = {
    path: Flags.string({description: 'folder to create (default: paths.workspaces/NAME)'}),
    activate: Flags.boolean({description: 'make it the active workspace'}),
  }

  async run(): Promise<InitResult> {
    const result = await createWorkspace(await this.session().config(), {name: this.args.name, dir: this.flags.path, activate: this.flags.activate})
    return this.present(result, formatInit)
  }
}
