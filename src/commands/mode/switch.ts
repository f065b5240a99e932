import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatModeSwitch} from '../../cli/format/mode.js'
import {type ModeSwitch, switchMode} from '../../lib/mode/modes.js'

export default class ModeSwitchCommand extends BaseCommand<typeof ModeSwitchCommand> {
  static summary = 'Validate a mode, then make it the active one'
  static audit = true
  static description = 'Refuses (exit 10) when a requirement is unmet, listing each with its fix, unless --force.'
  static examples = ['<%= config.bin %> mode switch solo', '<%= config.bin %> mode switch enterprise --json']
  static args = {name: Args.string({description: 'mode name', required: true})}
  static flags = {force: Flags.boolean({description: 'switch even when requirements are unmet'})}

  async run(): Promise<ModeSwitch> {
    return this.present(await switchMode(await this.session().selection(), this.args.name, this.flags.force, this.session().configWithMode), formatModeSwitch)
  }
}
