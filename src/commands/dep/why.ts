import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatWhy} from '../../cli/format/deps.js'
import {type WhyResult, whyDependency} from '../../lib/deps/why.js'

export default class DepWhy extends BaseCommand<typeof DepWhy> {
  static summary = 'Show why an extension is installed: every chain from the declaration to it (like npm why)'
  static description =
    'Read from the lockfile and the installed manifests (no registry request). Each step names the range by which the step before requires it; ' +
    'the first step names the line of config/provisioning.yaml that declares it. Shortest chains first, at most --limit of them; the rest are counted.'
  static examples = ['<%= config.bin %> dep why containerd', '<%= config.bin %> dep why containerd --limit 100 --json']
  static args = {name: Args.string({description: 'the extension to explain', required: true})}
  static flags = {
    limit: Flags.integer({description: 'most chains to show', min: 1, default: 20}),
  }

  async run(): Promise<WhyResult> {
    const result = await whyDependency({config: this.session().config, name: this.args.name, limit: this.flags.limit})
    for (const warning of result.warnings) this.note(`Warning: ${warning}`)
    return this.present(result, formatWhy)
  }
}
