import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatCleanup} from '../../cli/format/workspace.js'
import type {CleanupResult} from '../../lib/workspace/cleanup.js'

export default class WorkspaceCleanup extends BaseCommand<typeof WorkspaceCleanup> {
  static summary = 'Remove temp files, interrupted-install leftovers and stale or expired locks of a workspace'
  static description =
    'Safe for a CI after_script: never touches a live lock, the lockfile, the config or installed extensions, and keeps what a running "dep resolve" owns. Reports every item removed and the bytes freed.'
  static examples = ['<%= config.bin %> workspace cleanup', '<%= config.bin %> workspace cleanup prod --dry-run --json']
  static audit = true
  static args = {name: Args.string({description: 'workspace name or path (default: the current workspace)'})}
  static flags = {
    'dry-run': Flags.boolean({description: 'list what would be removed; remove nothing'}),
  }

  async run(): Promise<CleanupResult> {
    const {cleanupWorkspace} = await import('../../lib/workspace/cleanup.js')
    return this.present(
      await cleanupWorkspace({config: await this.session().forWorkspace(this.args.name).config(), dryRun: this.flags['dry-run']}),
      formatCleanup,
    )
  }
}
