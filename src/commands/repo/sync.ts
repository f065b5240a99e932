import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatRepoSync} from '../../cli/format/repo-sync.js'
import {type RepoSyncResult, syncRepositories} from '../../lib/oci/ops/repo-sync.js'

export default class RepoSync extends BaseCommand<typeof RepoSync> {
  static summary = 'Bring the index of each repository (extensions, versions, digests) up to date'
  static description =
    'Incremental: repositories and tags are listed, and only new version tags are read (one manifest GET by tag; configs already in the blob cache are not fetched again); deleted tags disappear. Published versions are immutable, so a known tag is kept as indexed; --full resolves every tag again and re-reads those that point at another manifest now. A tag whose artifact cannot be read (not an extension, an empty index, over the size bounds) is skipped and listed; the others are indexed. Without names, every repository your repository_selector lets you see is synced, several at a time. A repository that fails (unreachable, refused credentials) is reported and the others still sync; the exit code is that of the first failure. oci search, module discover and shell completion read these indexes.'
  static examples = ['<%= config.bin %> repo sync', '<%= config.bin %> repo sync internal public --json']
  static strict = false
  static args = {name: Args.string({description: 'repository name(s) (default: every visible repository)'})}
  static flags = {
    ...ociFlags,
    full: Flags.boolean({description: 'resolve every version tag again, not only new ones (finds versions republished with --force)'}),
  }

  async run(): Promise<RepoSyncResult> {
    const result = await syncRepositories({
      config: this.session().config,
      names: this.positionals,
      full: this.flags.full || undefined,
      insecure: this.flags.insecure || undefined,
      concurrency: this.flags.concurrency,
      onWarning: this.noteWarning,
    })
    if (result.exit !== 0) process.exitCode = result.exit
    return this.present(result, formatRepoSync)
  }
}
