import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatAudit} from '../../cli/format/audit.js'
import {type AuditListing, parseSince, readAudit} from '../../lib/audit/audit-log.js'

export default class Audit extends BaseCommand<typeof Audit> {
  static summary = 'Show the audit log of mutating commands'
  static description =
    'Every mutating command (push, delete, login, dep resolve, locks, mode switch, platform start/stop, ...) appends one JSON line to $PROVISIONING_HOME/audit.log: time, user, host, command, target, result and exit code. Flag values are never recorded.'
  static examples = ['<%= config.bin %> audit --since 2h', '<%= config.bin %> audit --command "oci push" --json']
  static flags = {
    since: Flags.string({description: 'only records newer than a duration (30m, 2h, 7d) or an ISO date'}),
    command: Flags.string({description: 'only this command (e.g. "oci push") or topic (e.g. "workspace")'}),
    limit: Flags.integer({description: 'only the last N records', min: 0}),
  }

  async run(): Promise<AuditListing> {
    const since = this.flags.since === undefined ? undefined : parseSince(this.flags.since)
    return this.present(await readAudit(this.home, {since, command: this.flags.command, limit: this.flags.limit}), formatAudit)
  }
}
