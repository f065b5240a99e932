import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {dependencyGraph, type GraphState} from '../../lib/deps/inspect.js'

export default class DepGraph extends BaseCommand<typeof DepGraph> {
  static summary = 'Print the dependency graph as Graphviz dot or Mermaid'
  static examples = ['<%= config.bin %> dep graph --format dot | dot -Tsvg > deps.svg', '<%= config.bin %> dep graph --format mermaid']
  static flags = {
    format: Flags.string({description: 'output format', options: ['dot', 'mermaid'], default: 'dot'}),
    offline: Flags.boolean({description: 'use only the local cache'}),
  }

  async run(): Promise<GraphState & {format: string; graph: string}> {
    const result = await dependencyGraph({config: this.session().config, format: this.flags.format as 'dot' | 'mermaid', offline: this.flags.offline})
    return this.present(result, (r) => r.graph)
  }
}
