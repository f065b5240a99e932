import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatTag} from '../../cli/format/oci.js'
import {tagArtifact, type TagResult} from '../../lib/oci/ops/tag.js'

export default class OciTag extends BaseCommand<typeof OciTag> {
  static summary = 'Add tags to an artifact (e.g. stable, latest) without re-uploading anything'
  static audit = true
  static description =
    'The manifest is fetched once and put under each new tag; an existing tag of that name moves to this artifact, except a version tag (1.2.0, v1.2.0): a published version is immutable, so moving one that holds another artifact exits 10 unless --force (recorded in the audit log). Works on registries and oci-layout:// stores.'
  static examples = ['<%= config.bin %> oci tag redis:7.2.0 stable latest', '<%= config.bin %> oci tag oci://localhost:5000/team/redis@sha256:… stable --json']
  static strict = false
  static args = {
    reference: Args.string({description: 'the artifact: NAME:VERSION, a full reference or one by digest', required: true}),
    tag: Args.string({description: 'new tag(s) for it', required: true}),
  }
  static flags = {
    ...ociFlags,
    force: Flags.boolean({description: 'move a version tag that holds another artifact (recorded in the audit log)'}),
  }

  async run(): Promise<TagResult> {
    const result = await tagArtifact({
      config: this.session().config,
      reference: this.args.reference,
      tags: this.positionals.slice(1),
      insecure: this.flags.insecure || undefined,
      force: this.flags.force,
    })
    if (result.replaced) this.auditDetails = {replaced: result.replaced}
    return this.present(result, formatTag)
  }
}
