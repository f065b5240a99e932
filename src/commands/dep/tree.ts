import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatTree} from '../../cli/format/deps.js'
import {type DependencyTree, dependencyTree} from '../../lib/deps/inspect.js'

export default class DepTree extends BaseCommand<typeof DepTree> {
  static summary = 'Show the resolved dependency graph as a tree (shared nodes marked)'
  static description =
    'Read from the lockfile while it agrees with the declaration (no registry request), else resolved now without writing anything. ' +
    'A node whose dependencies --depth cuts ends in "… N more" (--json: truncated: true, hidden: N). ' +
    'With --reverse, NAME is at the top and below each node are the extensions that require it, up to the ones the workspace declares.'
  static examples = ['<%= config.bin %> dep tree --depth 1', '<%= config.bin %> dep tree containerd --reverse']
  static args = {name: Args.string({description: 'start from this extension (default: the declared modules)'})}
  static flags = {
    depth: Flags.integer({description: 'levels to show', min: 0}),
    reverse: Flags.boolean({description: 'show who requires NAME (up to the workspace) instead of what it requires'}),
    offline: Flags.boolean({description: 'use only the local cache'}),
  }

  async run(): Promise<DependencyTree> {
    const {depth, offline, reverse} = this.flags
    return this.present(await dependencyTree({config: this.session().config, name: this.args.name, depth, offline, reverse}), formatTree)
  }
}
