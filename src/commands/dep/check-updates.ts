import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatUpdates} from '../../cli/format/deps.js'
import {checkUpdates, type UpdateRow} from '../../lib/deps/inspect.js'

export default class DepCheckUpdates extends BaseCommand<typeof DepCheckUpdates> {
  static summary = 'Show locked, newest allowed and newest published versions (like npm outdated)'
  static flags = {offline: Flags.boolean({description: 'use only the local cache'})}

  async run(): Promise<{workspace: string; extensions: UpdateRow[]}> {
    return this.present(await checkUpdates({...this.loadOptions(), offline: this.flags.offline}), formatUpdates)
  }
}
