import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatUpdates} from '../../cli/format/deps.js'
import {checkUpdates, type UpdateCheck} from '../../lib/deps/inspect.js'

export default class DepCheckUpdates extends BaseCommand<typeof DepCheckUpdates> {
  static summary =
    'Show locked, newest allowed and newest published versions (like npm outdated); exit 1 when anything is outdated, 8 when a locked version was republished'
  static description =
    'Columns: locked (the lockfile), wanted (newest version the constraints allow), latest (newest published, pre-releases aside). ' +
    'Like npm outdated, the exit code is 1 when any extension is outdated: not locked yet, locked at another version than wanted, or locked older than latest ' +
    '(also when the newer version lies outside your ranges); 0 when every locked version equals wanted and is not older than latest. ' +
    '--json prints the same document either way (each row has "outdated"; the top level counts them). ' +
    'A locked version whose tag now names other content is republished: its row says so ("republished": {locked, current} in --json) and the exit code is 8, ' +
    'which wins over 1 since content changed under a pinned version (--offline asks no registry: it knows only what the last online run saw). Other failures keep their own exit codes (2-10).'
  static examples = ['<%= config.bin %> dep check-updates || echo "updates available"']
  static flags = {offline: Flags.boolean({description: 'use only the local cache'})}

  async run(): Promise<UpdateCheck> {
    const result = await this.present(await checkUpdates({config: this.session().config, offline: this.flags.offline}), formatUpdates)
    // npm outdated's contract, so CI can gate on it: a result, not an error (nothing on stderr).
    if (result.republished > 0) process.exitCode = 8
    else if (result.outdated > 0) process.exitCode = 1
    return result
  }
}
