import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatStatus} from '../../cli/format/platform.js'
import {platformSetup} from '../../lib/platform/setup.js'
import {serviceStatus, type StatusResult} from '../../lib/platform/status.js'

export default class PlatformStatus extends BaseCommand<typeof PlatformStatus> {
  static summary = 'Show platform services: state, pid, port, uptime, health'
  static description =
    'States: running, dead (exited or killed without "platform stop"; its stale PID file is removed), stopped, unavailable (binary not installed). A PID file whose process has another start time or command line is stale, never mistaken for the service.'
  static strict = false
  static args = {name: Args.string({description: 'service names (default: all defined)'})}

  async run(): Promise<StatusResult> {
    const ctx = platformSetup(await this.session().config())
    return this.present(await serviceStatus(ctx, this.positionals), formatStatus)
  }
}
