import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags, preFlag} from '../../cli/flags.js'
import {formatIndexAge, formatSearch} from '../../cli/format/oci.js'
import {searchExtensions, type SearchResult} from '../../lib/oci/ops/catalog.js'

export default class OciSearch extends BaseCommand<typeof OciSearch> {
  static summary = 'Search extensions by name, description and tags across your repositories'
  static description =
    'Reads the index of each visible repository (repo sync; the workspace declared source is the repository "default"), merged by priority: each hit names its repository, and stderr says how old each part is. A part missing or older than oci.cache.index_ttl_seconds is synced first (incrementally); --refresh syncs every part now, --offline none. Pushes, copies and deletes through this CLI update the indexes in place.'
  static examples = ['<%= config.bin %> oci search redis', '<%= config.bin %> oci search cache --repository internal --json']
  static args = {term: Args.string({description: 'text to look for', required: true})}
  static flags = {
    ...ociFlags,
    ...preFlag,
    refresh: Flags.boolean({description: 'sync every repository index now', exclusive: ['offline']}),
    offline: Flags.boolean({description: 'read the indexes as they are: sync none (a repository without one is reported missing)'}),
    repository: Flags.string({description: 'search only this repository (repeatable)', multiple: true}),
    namespace: Flags.string({description: 'namespace of the default repository to search (default: its own)'}),
  }

  async run(): Promise<SearchResult> {
    const result = await searchExtensions({
      config: this.session().config,
      term: this.args.term,
      refresh: this.flags.refresh,
      offline: this.flags.offline,
      repositories: this.flags.repository,
      namespace: this.flags.namespace,
      insecure: this.flags.insecure || undefined,
      concurrency: this.flags.concurrency,
      pre: this.flags.pre,
      onWarning: this.noteWarning,
    })
    if (!result.repositories.every((p) => p.refreshed)) this.note(formatIndexAge(result))
    return this.present(result, formatSearch)
  }
}
