import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatTree} from '../../cli/format/deps.js'
import type {TreeNode} from '../../lib/deps/graph-view.js'
import {dependencyTree, type GraphState} from '../../lib/deps/inspect.js'

export default class DepTree extends BaseCommand<typeof DepTree> {
  static summary = 'Show the resolved dependency graph as a tree (shared nodes marked)'
  static args = {name: Args.string({description: 'start from this extension (default: the declared modules)'})}
  static flags = {
    depth: Flags.integer({description: 'levels to show', min: 0}),
    offline: Flags.boolean({description: 'use only the local cache'}),
  }

  async run(): Promise<GraphState & {tree: TreeNode[]}> {
    return this.present(await dependencyTree({...this.loadOptions(), name: this.args.name, depth: this.flags.depth, offline: this.flags.offline}), formatTree)
  }
}
