import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatVerify} from '../../cli/format/deps.js'
import {verifyInstalled, type VerifyResult} from '../../lib/deps/verify-install.js'

export default class DepVerify extends BaseCommand<typeof DepVerify> {
  static summary = 'Compare the installed extensions with the content the lockfile pins; list every difference (exit 10)'
  static description =
    'Checks every file of every locked extension (kind, mode, sha256, link target) against the pinned layer, and lists missing, modified and extra files, missing extension folders and folders the lock does not list. "dep resolve --force" reinstalls what differs. Without a lockfile there is nothing to compare with: exit 4 (run "dep resolve" first).'
  static examples = ['<%= config.bin %> dep verify', '<%= config.bin %> dep verify --json', '<%= config.bin %> dep resolve --force   # reinstall what differs']
  static flags = {offline: Flags.boolean({description: 'use only the local cache to learn the locked content'})}

  async run(): Promise<VerifyResult> {
    return this.present(await verifyInstalled({config: this.session().config, offline: this.flags.offline}), formatVerify)
  }
}
