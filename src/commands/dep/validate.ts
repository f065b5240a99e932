import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatValidateDeps} from '../../cli/format/deps.js'
import {type DependencyValidation, validateDependencies} from '../../lib/deps/validate.js'

export default class DepValidate extends BaseCommand<typeof DepValidate> {
  static summary = 'Resolve without installing and report everything wrong at once (exit 10)'
  static description = 'Checks the declaration, constraints, conflicts, cycles and the core version, and says whether the lockfile is current.'
  static flags = {offline: Flags.boolean({description: 'use only the local cache'})}

  async run(): Promise<DependencyValidation> {
    return this.present(await validateDependencies({config: this.session().config, offline: this.flags.offline}), formatValidateDeps)
  }
}
