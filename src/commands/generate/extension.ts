import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type GeneratedExtension, generateExtension} from '../../lib/extension/generate.js'

export default class GenerateExtension extends BaseCommand<typeof GenerateExtension> {
  static summary = 'Scaffold a new extension that passes "oci package validate" unchanged'
  static examples = [
    '<%= config.bin %> generate extension taskserv my-service',
    '<%= config.bin %> generate extension provider hetzner --path ./extensions-src/providers/hetzner',
  ]
  static args = {
    type: Args.string({description: 'extension type', options: ['provider', 'taskserv', 'cluster'], required: true}),
    name: Args.string({description: 'extension name (lower case, digits, . _ -)', required: true}),
  }
  static flags = {path: Flags.string({description: 'folder to create (default: ./NAME)'})}

  async run(): Promise<GeneratedExtension> {
    const result = await generateExtension(this.args.type, this.args.name, {path: this.flags.path, cwd: process.cwd()})
    return this.present(result, (r) => `created ${this.args.type} ${this.args.name} at ${r.path}\n${r.files.map((f) => `  ${f}`).join('\n')}`)
  }
}
