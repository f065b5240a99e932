import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatRepository} from '../../cli/format/repositories.js'
import {showRepository} from '../../lib/oci/ops/repositories.js'

export default class RepoShow extends BaseCommand<typeof RepoShow> {
  static summary = 'Show one repository: URL, labels, visibility, mode, priority and where it is declared'
  static examples = ['<%= config.bin %> repo show internal', '<%= config.bin %> repo show default --json']
  static args = {name: Args.string({description: 'the repository', required: true})}

  async run(): Promise<Awaited<ReturnType<typeof showRepository>>> {
    return this.present(await showRepository({config: this.session().config, name: this.args.name}), formatRepository)
  }
}
