import path from 'node:path'

import {Args, type Config} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {bashDynamicCompletion} from '../../cli/completion-script.js'

export default class Completion extends BaseCommand<typeof Completion> {
  static summary = 'Print the bash completion script (commands, flags, and workspace, mode and extension names)'
  static description =
    'Enable it with: echo \'eval "$(provisioning completion bash)"\' >> ~/.bashrc. Names come from local files only (the known workspaces, the mode definitions, the lock, the installed extensions and the repository indexes): a <Tab> never reaches a registry. For zsh and PowerShell, "provisioning autocomplete" completes commands and flags.'
  static examples = ['eval "$(<%= config.bin %> completion bash)"']
  static args = {shell: Args.string({description: 'the shell', options: ['bash'], default: 'bash'})}

  async run(): Promise<{shell: string; script: string}> {
    // The command and flag part is @oclif/plugin-autocomplete's: its generator, without the
    // files it would write into the user's cache.
    const create = (await this.config.findCommand('autocomplete:create')?.load()) as unknown as
      (new (argv: string[], config: Config) => {bashCompletionFunction: string}) | undefined
    const generated = create ? new create([], this.config).bashCompletionFunction : ''
    const script = generated + bashDynamicCompletion({bin: this.config.bin, node: process.execPath, runJs: path.join(this.config.root, 'bin', 'run.js')})
    return this.present({shell: this.args.shell, script}, (result) => result.script)
  }
}
