import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {switchWorkspace} from '../../lib/workspace/manage.js'

export default class WorkspaceSwitch extends BaseCommand<typeof WorkspaceSwitch> {
  static summary = 'Make a registered workspace the active one'
  static audit = true
  static aliases = ['workspace activate']
  static args = {name: Args.string({description: 'registered workspace name', required: true})}

  async run(): Promise<{name: string; path: string; previous?: string}> {
    return this.present(await switchWorkspace(this.home, this.args.name), (r) => `active workspace: ${r.name} (${r.path})`)
  }
}
