import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatRepositoryList} from '../../cli/format/repositories.js'
import {listRepositories, type RepositoryListResult} from '../../lib/oci/ops/repositories.js'

export default class RepoList extends BaseCommand<typeof RepoList> {
  static summary = 'List the repositories your commands see'
  static description =
    'The implicit repository (the workspace extension source) and the declared ones your repository_selector lets you see, by preference (priority, then name). --all shows hidden ones too, marked.'
  static examples = ['<%= config.bin %> repo list', '<%= config.bin %> repo list --selector "team in (core,net)" --json', '<%= config.bin %> repo list --all']
  static flags = {
    selector: Flags.string({description: 'only repositories whose labels match (e.g. "env=prod,team in (core,net)")'}),
    all: Flags.boolean({description: 'also the repositories your repository_selector hides (marked hidden)'}),
  }

  async run(): Promise<RepositoryListResult> {
    return this.present(await listRepositories({config: this.session().config, selector: this.flags.selector, all: this.flags.all}), formatRepositoryList)
  }
}
