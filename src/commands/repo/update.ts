import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatRepositorySave} from '../../cli/format/repositories.js'
import {repositoryFields, repositoryFlags, skipCheckAudit} from '../../cli/repository-flags.js'
import {type RepositorySaveResult, updateRepository} from '../../lib/oci/ops/repositories.js'

export default class RepoUpdate extends BaseCommand<typeof RepoUpdate> {
  static summary = 'Change a declared repository where it is declared'
  static audit = true
  static description =
    'Edits the file that declares the repository (the workspace config or config.user.toml), keeping comments and formatting. A new URL or mode is checked first, as by repo add. The implicit repository "default" and repositories of the mode or defaults layers are not edited here.'
  static examples = ['<%= config.bin %> repo update internal --label tier=gold --remove-label env', '<%= config.bin %> repo update internal --mode rw']
  static args = {name: Args.string({description: 'the repository', required: true})}
  static flags = {
    ...ociFlags,
    ...repositoryFlags,
    url: Flags.string({description: 'a new URL: oci://host[:port]/namespace or oci-layout://PATH'}),
    'remove-label': Flags.string({description: 'remove the label with this key (repeatable)', multiple: true}),
  }

  async run(): Promise<RepositorySaveResult> {
    const result = await updateRepository({
      config: this.session().config,
      guardWorkspace: this.session().assertWorkspaceWritable,
      insecure: this.flags.insecure || undefined,
      name: this.args.name,
      url: this.flags.url,
      removeLabels: this.flags['remove-label'],
      ...repositoryFields(this.flags),
    })
    this.auditDetails = skipCheckAudit(result)
    return this.present(result, formatRepositorySave)
  }
}
