import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {registerWorkspace} from '../../lib/workspace/manage.js'

export default class WorkspaceRegister extends BaseCommand<typeof WorkspaceRegister> {
  static summary = 'Register an existing workspace folder under a name'
  static audit = true
  static args = {
    name: Args.string({description: 'name to register', required: true}),
    path: Args.string({description: 'workspace folder (holds config/provisioning.yaml)', required: true}),
  }

  async run(): Promise<{name: string; path: string; updated: boolean}> {
    const result = await registerWorkspace(this.home, this.args.name, this.args.path, process.cwd())
    return this.present(result, (r) => (r.updated ? `registered workspace ${r.name} at ${r.path}` : `workspace ${r.name} was already registered at ${r.path}`))
  }
}
