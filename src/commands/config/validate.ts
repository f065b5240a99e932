import {BaseCommand} from '../../cli/base-command.js'
import {formatValidate} from '../../cli/format/config.js'
import {type ConfigValidateResult, validateConfig} from '../../lib/config/query.js'
import {repositoryConfigProblems} from '../../lib/repository/config-problems.js'

export default class ConfigValidate extends BaseCommand<typeof ConfigValidate> {
  static summary = 'Check every config layer: syntax, value types, known keys, repository declarations'
  static description = 'Reports all problems at once with file:line. Errors exit 3; unknown keys are warnings.'
  static examples = ['<%= config.bin %> config validate', '<%= config.bin %> config validate --infra prod --json']

  async run(): Promise<ConfigValidateResult> {
    return this.present(await validateConfig(this.session().loadConfig, repositoryConfigProblems), formatValidate)
  }
}
