import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatRepoSync} from '../../cli/format/repo-sync.js'
import {type RepoSyncResult, syncRepositories} from '../../lib/oci/ops/repo-sync.js'

export default class RepoSync extends BaseCommand<typeof RepoSync> {
  static summary = 'Bring the index of each repository (extensions, versions, digests) up to date'
  static description =
    'Incremental: repositories and tags are listed, every version tag is resolved, and only new tags or tags pointing at another manifest are read (manifests and configs already in the blob cache are not fetched again); deleted tags disappear. Without names, every repository your repository_selector lets you see is synced, several at a time. A repository that fails is reported and the others still sync; the exit code is that of the first failure. oci search, module discover and shell completion read these indexes.'
  static examples = ['<%= config.bin %> repo sync', '<%= config.bin %> repo sync internal public --json']
  static strict = false
  static args = {name: Args.string({description: 'repository name(s) (default: every visible repository)'})}
  static flags = {...ociFlags}

  async run(): Promise<RepoSyncResult> {
    const result = await syncRepositories({
      config: this.session().config,
      names: this.positionals,
      insecure: this.flags.insecure || undefined,
      concurrency: this.flags.concurrency,
      onWarning: this.noteWarning,
    })
    if (result.exit !== 0) process.exitCode = result.exit
    return this.present(result, formatRepoSync)
  }
}
