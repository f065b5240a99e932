import {BaseCommand} from '../../cli/base-command.js'
import {formatCurrent} from '../../cli/format/mode.js'
import type {ActiveMode} from '../../lib/mode/active.js'
import {currentMode} from '../../lib/mode/modes.js'

export default class ModeCurrent extends BaseCommand<typeof ModeCurrent> {
  static summary = 'Print the current mode (PROVISIONING_MODE, else active-mode.yaml, else solo)'

  async run(): Promise<ActiveMode> {
    return this.present(await currentMode(await this.session().selection()), formatCurrent)
  }
}
