import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatLog} from '../../cli/format/platform.js'
import {UsageError} from '../../lib/errors.js'
import {platformSetup} from '../../lib/platform/setup.js'
import {followFile, type ServiceLog, serviceLog} from '../../lib/platform/logs.js'

export default class PlatformLogs extends BaseCommand<typeof PlatformLogs> {
  static summary = 'Show the log of a platform service'
  static examples = ['<%= config.bin %> platform logs oci-registry --lines 100', '<%= config.bin %> platform logs orchestrator --follow']
  static args = {name: Args.string({description: 'service name', required: true})}
  static flags = {
    lines: Flags.integer({char: 'n', description: 'how many lines from the end', default: 50, min: 0}),
    follow: Flags.boolean({char: 'f', description: 'keep printing new output until interrupted (Ctrl-C)'}),
  }

  async run(): Promise<ServiceLog> {
    if (this.flags.follow && this.jsonEnabled())
      throw new UsageError('--follow streams text and cannot be combined with --json', {hint: 'drop --json, or use --lines N --json for a snapshot'})
    const ctx = platformSetup(await this.session().config())
    const log = await this.present(await serviceLog(ctx, this.args.name, this.flags.lines), formatLog)
    if (this.flags.follow) {
      const stop = new AbortController()
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort())
      for await (const chunk of followFile(log.file, log.size, stop.signal)) process.stdout.write(chunk)
    }
    return log
  }
}
