import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatRepositorySave} from '../../cli/format/repositories.js'
import {removeRepository, type RepositorySaveResult} from '../../lib/oci/ops/repositories.js'

export default class RepoRemove extends BaseCommand<typeof RepoRemove> {
  static summary = 'Remove a repository declaration'
  static audit = true
  static description = 'Deletes repositories.NAME from the file that declares it, keeping the rest of the file as written. Nothing in the registry changes.'
  static examples = ['<%= config.bin %> repo remove scratch']
  static args = {name: Args.string({description: 'the repository', required: true})}

  async run(): Promise<RepositorySaveResult> {
    const result = await removeRepository({config: this.session().config, name: this.args.name, guardWorkspace: this.session().assertWorkspaceWritable})
    this.auditDetails = {file: result.file}
    return this.present(result, formatRepositorySave)
  }
}
