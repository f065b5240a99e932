import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {preFlag} from '../../cli/flags.js'
import {formatDiscover} from '../../cli/format/module.js'
import {moduleType} from '../../lib/module/module-types.js'
import {type DiscoveredModule, discoverModules} from '../../lib/module/modules.js'

export default class ModuleDiscover extends BaseCommand<typeof ModuleDiscover> {
  static summary = 'Find extensions to load: the core layer, the local source and the repository indexes'
  static description =
    'Shows each extension at its latest stable version (--pre: pre-releases too). Local sources may keep versions side by side ({type}s/{name}/{version}/manifest.yaml). Registry extensions come from the merged index of your visible repositories (repo sync), each row naming its repository; inside a workspace, the repository "default" is its declared source, as for dep resolve.'
  static args = {
    type: Args.string({description: 'provider, taskserv or cluster (default: all)'}),
    term: Args.string({description: 'text to look for in names and descriptions'}),
  }
  static flags = {
    ...preFlag,
    refresh: Flags.boolean({description: 'sync the repository indexes now'}),
    repository: Flags.string({description: 'list only this repository (repeatable; core and local layers are still listed)', multiple: true}),
  }

  async run(): Promise<{modules: DiscoveredModule[]; warnings: string[]}> {
    const result = await discoverModules({
      config: this.session().config,
      type: this.args.type ? moduleType(this.args.type) : undefined,
      term: this.args.term,
      refresh: this.flags.refresh,
      pre: this.flags.pre,
      repositories: this.flags.repository,
    })
    for (const warning of result.warnings) this.note(`Warning: ${warning}`)
    return this.present(result, formatDiscover)
  }
}
