import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {removeWorkspace} from '../../lib/workspace/manage.js'

export default class WorkspaceRemove extends BaseCommand<typeof WorkspaceRemove> {
  static summary = 'Unregister a workspace (its files are never deleted)'
  static audit = true
  static args = {name: Args.string({description: 'registered workspace name', required: true})}

  async run(): Promise<{name: string; path: string; wasActive: boolean}> {
    const result = await removeWorkspace(this.home, this.args.name)
    return this.present(result, (r) => `unregistered workspace ${r.name}; its files remain at ${r.path}${r.wasActive ? ' (no workspace is active now)' : ''}`)
  }
}
