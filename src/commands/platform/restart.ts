import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatRestart} from '../../cli/format/platform.js'
import {platformSetup} from '../../lib/platform/setup.js'
import {type RestartResult, restartServices} from '../../lib/platform/lifecycle.js'

export default class PlatformRestart extends BaseCommand<typeof PlatformRestart> {
  static summary = 'Restart platform services (and the running services that depend on them)'
  static audit = true
  static strict = false
  static args = {name: Args.string({description: 'service names (default: every running service)'})}

  async run(): Promise<RestartResult> {
    const ctx = platformSetup(await this.session().config())
    return this.present(await restartServices(ctx, this.positionals), formatRestart)
  }
}
