import {Args} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {ociFlags} from '../../cli/flags.js'
import {formatRepositorySave} from '../../cli/format/repositories.js'
import {repositoryFields, repositoryFlags, skipCheckAudit} from '../../cli/repository-flags.js'
import {addRepository, type RepositorySaveResult} from '../../lib/oci/ops/repositories.js'

export default class RepoAdd extends BaseCommand<typeof RepoAdd> {
  static summary = 'Declare a repository (a registry namespace or a layout folder) after checking it'
  static audit = true
  static description =
    'Checks the URL, that the registry is reachable and speaks the distribution API, that your stored credentials are accepted, that the namespace holds repositories (ro) and, for rw, that you may push; every failed check is listed with its fix and nothing is saved. Public repositories go into the workspace config, private ones into config.user.toml; comments and formatting are kept.'
  static examples = [
    '<%= config.bin %> repo add internal oci://registry.example.com/platform/extensions --label env=prod --label team=core',
    '<%= config.bin %> repo add scratch oci-layout://./store --mode rw --visibility private',
    '<%= config.bin %> repo add staging oci://staging.example.com/ext --insecure-skip-check',
  ]
  static args = {
    name: Args.string({description: 'repository name: lower-case letters, digits, "-" and "_"', required: true}),
    url: Args.string({description: 'oci://host[:port]/namespace or oci-layout://PATH', required: true}),
  }
  static flags = {...ociFlags, ...repositoryFlags}

  async run(): Promise<RepositorySaveResult> {
    const result = await addRepository({
      config: this.session().config,
      guardWorkspace: this.session().assertWorkspaceWritable,
      insecure: this.flags.insecure || undefined,
      name: this.args.name,
      url: this.args.url,
      ...repositoryFields(this.flags),
    })
    this.auditDetails = skipCheckAudit(result)
    return this.present(result, formatRepositorySave)
  }
}
