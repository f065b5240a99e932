import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatStart} from '../../cli/format/platform.js'
import {platformSetup} from '../../lib/platform/setup.js'
import {type StartResult, startServices} from '../../lib/platform/lifecycle.js'

export default class PlatformStart extends BaseCommand<typeof PlatformStart> {
  static summary = 'Start platform services and their dependencies, each healthy before its dependents'
  static audit = true
  static description =
    'Without names, starts every service with auto_start = true. Services run detached (they keep running after the CLI exits); output goes to their log under paths.services. Healthy running services are left alone. If one fails, its last log lines are shown and everything this call started is stopped again.'
  static examples = [
    '<%= config.bin %> platform start',
    '<%= config.bin %> platform start oci-registry',
    '<%= config.bin %> platform start control-center --json',
  ]
  static strict = false
  static args = {name: Args.string({description: 'service names (default: every auto_start service)'})}

  async run(): Promise<StartResult> {
    const ctx = platformSetup(await this.session().config())
    return this.present(await startServices(ctx, this.positionals), formatStart)
  }
}
