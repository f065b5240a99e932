import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatLayers} from '../../cli/format/module.js'
import {moduleType} from '../../lib/module/module-types.js'
import {explainLayers, type LayerResolution} from '../../lib/module/modules.js'

export default class ModuleResolve extends BaseCommand<typeof ModuleResolve> {
  static summary = 'Explain which layer provides an extension and, per file, which layer wins'
  static description = 'Layers, highest first: infrastructure (with --infra), workspace, core.'
  static args = {
    type: Args.string({description: 'provider, taskserv or cluster', required: true}),
    name: Args.string({description: 'extension name', required: true}),
  }

  async run(): Promise<LayerResolution> {
    return this.present(await explainLayers({config: this.session().config, type: moduleType(this.args.type), name: this.args.name}), formatLayers)
  }
}
