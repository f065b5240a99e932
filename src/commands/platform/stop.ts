import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatStop} from '../../cli/format/platform.js'
import {platformSetup} from '../../lib/platform/setup.js'
import {type StopResult, stopServices} from '../../lib/platform/lifecycle.js'

export default class PlatformStop extends BaseCommand<typeof PlatformStop> {
  static summary = 'Stop platform services, dependents first'
  static audit = true
  static description =
    'Without names, stops every running service. Running services that depend on a named one are stopped first. Each gets SIGTERM (its whole process group), then SIGKILL after stop_grace_seconds.'
  static examples = ['<%= config.bin %> platform stop', '<%= config.bin %> platform stop orchestrator']
  static strict = false
  static args = {name: Args.string({description: 'service names (default: every running service)'})}

  async run(): Promise<StopResult> {
    const ctx = platformSetup(await this.session().config())
    return this.present(await stopServices(ctx, this.positionals), formatStop)
  }
}
