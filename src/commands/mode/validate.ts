import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatModeValidate} from '../../cli/format/mode.js'
import {type ModeValidation, validateMode} from '../../lib/mode/modes.js'

export default class ModeValidate extends BaseCommand<typeof ModeValidate> {
  static summary = "Check a mode's requirements against the current config (exit 10 when any is unmet)"
  static args = {name: Args.string({description: 'mode name (default: the current mode)'})}

  async run(): Promise<ModeValidation> {
    return this.present(await validateMode(await this.session().selection(), this.args.name, this.session().configWithMode), formatModeValidate)
  }
}
