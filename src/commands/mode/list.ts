import {BaseCommand} from '../../cli/base-command.js'
import {formatModeList} from '../../cli/format/mode.js'
import {listModes, type ModeSummary} from '../../lib/mode/modes.js'

export default class ModeList extends BaseCommand<typeof ModeList> {
  static summary = 'List the operational modes and their settings (* marks the current one)'

  async run(): Promise<{current: string; modes: ModeSummary[]}> {
    return this.present(await listModes(await this.session().selection()), formatModeList)
  }
}
