import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatSearch} from '../../cli/format/oci.js'
import {searchExtensions, type SearchResult} from '../../lib/oci/ops/catalog.js'

export default class OciSearch extends BaseCommand<typeof OciSearch> {
  static summary = 'Search extensions by name, description and tags'
  static description = 'Uses a cached index built from _catalog, tags and config blobs (oci.cache.index_ttl_seconds); --refresh rebuilds it.'
  static args = {term: Args.string({description: 'text to look for', required: true})}
  static flags = {
    ...ociFlags,
    refresh: Flags.boolean({description: 'rebuild the index now'}),
    namespace: Flags.string({description: 'namespace to search (default: oci.namespace)'}),
  }

  async run(): Promise<SearchResult> {
    return this.present(await searchExtensions({...this.loadOptions(), term: this.args.term, refresh: this.flags.refresh, namespace: this.flags.namespace, insecure: this.flags.insecure || undefined, concurrency: this.flags.concurrency}), formatSearch)
  }
}
