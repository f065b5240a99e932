import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatModeShow} from '../../cli/format/mode.js'
import {type ModeDetails, type ModeSummary, showMode} from '../../lib/mode/modes.js'

export default class ModeShow extends BaseCommand<typeof ModeShow> {
  static summary = "Show a mode's settings (its config layer 2)"
  static args = {name: Args.string({description: 'mode name', required: true})}

  async run(): Promise<ModeDetails & {summary: ModeSummary}> {
    return this.present(await showMode(await this.session().selection(), this.args.name), formatModeShow)
  }
}
