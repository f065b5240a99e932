import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatRepositoryValidation} from '../../cli/format/repositories.js'
import {validateRepositories} from '../../lib/oci/ops/repositories.js'

export default class RepoValidate extends BaseCommand<typeof RepoValidate> {
  static summary = 'Run the repo add checks against declared repositories'
  static description =
    'Checks one repository, or every one you see: URL, reachability, API, credentials, namespace and (rw) push rights. Every check that can run runs; the command fails with the exit code of the worst failure (the earliest in check order) and lists them all.'
  static examples = ['<%= config.bin %> repo validate', '<%= config.bin %> repo validate internal --json']
  static args = {name: Args.string({description: 'the repository (default: every visible one)'})}
  static flags = {...ociFlags}

  async run(): Promise<Awaited<ReturnType<typeof validateRepositories>>> {
    return this.present(
      await validateRepositories({config: this.session().config, insecure: this.flags.insecure || undefined, name: this.args.name}),
      formatRepositoryValidation,
    )
  }
}
