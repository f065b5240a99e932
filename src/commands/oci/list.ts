import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags, preFlag} from '../../cli/flags.js'
import {formatList} from '../../cli/format/oci.js'
import {listExtensions, type ListResult} from '../../lib/oci/ops/catalog.js'

export default class OciList extends BaseCommand<typeof OciList> {
  static summary = 'List the extensions in the registry namespace with their latest stable version'
  static description =
    'Inside a workspace, the registry is its declared source (dependencies.extensions.oci), as for dep resolve. --pre lets latest be a pre-release.'
  static flags = {...ociFlags, ...preFlag, namespace: Flags.string({description: 'namespace to list (default: oci.namespace)'})}

  async run(): Promise<ListResult> {
    return this.present(
      await listExtensions({
        config: this.session().config,
        namespace: this.flags.namespace,
        insecure: this.flags.insecure || undefined,
        concurrency: this.flags.concurrency,
        pre: this.flags.pre,
        onWarning: this.noteWarning,
      }),
      formatList,
    )
  }
}
