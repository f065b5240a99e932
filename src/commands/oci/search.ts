import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags, preFlag} from '../../cli/flags.js'
import {formatIndexAge, formatSearch} from '../../cli/format/oci.js'
import {searchExtensions, type SearchResult} from '../../lib/oci/ops/catalog.js'

export default class OciSearch extends BaseCommand<typeof OciSearch> {
  static summary = 'Search extensions by name, description and tags'
  static description =
    'Uses a cached index built from _catalog, tags and config blobs (oci.cache.index_ttl_seconds); pushes, copies and deletes through this CLI update it, --refresh rebuilds it. Inside a workspace, the registry is its declared source, as for dep resolve.'
  static args = {term: Args.string({description: 'text to look for', required: true})}
  static flags = {
    ...ociFlags,
    ...preFlag,
    refresh: Flags.boolean({description: 'rebuild the index now'}),
    namespace: Flags.string({description: 'namespace to search (default: oci.namespace)'}),
  }

  async run(): Promise<SearchResult> {
    const result = await searchExtensions({
      config: this.session().config,
      term: this.args.term,
      refresh: this.flags.refresh,
      namespace: this.flags.namespace,
      insecure: this.flags.insecure || undefined,
      concurrency: this.flags.concurrency,
      pre: this.flags.pre,
      onWarning: this.noteWarning,
    })
    if (result.fromCache) this.note(formatIndexAge(result))
    return this.present(result, formatSearch)
  }
}
