import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatHealth} from '../../cli/format/platform.js'
import {platformSetup} from '../../lib/platform/setup.js'
import {type HealthReport, serviceHealth} from '../../lib/platform/status.js'

export default class PlatformHealth extends BaseCommand<typeof PlatformHealth> {
  static summary = 'Check platform services; exit 0 only when all are healthy'
  static description =
    'Without names, checks every auto_start service and every service that is running (or died). Any service not running and healthy makes it exit 10 listing each failure.'
  static examples = ['<%= config.bin %> platform health', '<%= config.bin %> platform health oci-registry && echo ready']
  static strict = false
  static args = {name: Args.string({description: 'service names (default: auto_start and running services)'})}

  async run(): Promise<HealthReport> {
    const ctx = platformSetup(await this.session().config())
    return this.present(await serviceHealth(ctx, this.positionals), formatHealth)
  }
}
