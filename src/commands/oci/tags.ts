import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatTags} from '../../cli/format/oci.js'
import {listVersions, type TagsResult} from '../../lib/oci/ops/tags.js'

export default class OciTags extends BaseCommand<typeof OciTags> {
  static summary = 'List the versions of an extension, highest semver first'
  static description = 'Inside a workspace, the registry is its declared source (dependencies.extensions.oci), as for dep resolve.'
  static args = {name: Args.string({description: 'extension name or repository reference', required: true})}
  static flags = {...ociFlags}

  async run(): Promise<TagsResult> {
    return this.present(
      await listVersions({config: this.session().config, name: this.args.name, insecure: this.flags.insecure || undefined, onWarning: this.noteWarning}),
      formatTags,
    )
  }
}
