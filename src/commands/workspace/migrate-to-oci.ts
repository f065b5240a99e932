import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {formatMigration} from '../../cli/format/migrate.js'
import {migrateToOci, type MigrationResult} from '../../lib/workspace/migrate-to-oci.js'

export default class WorkspaceMigrateToOci extends BaseCommand<typeof WorkspaceMigrateToOci> {
  static summary = "Publish a workspace's local extensions to the registry and switch its declaration to OCI"
  static audit = true
  static description =
    'Pushes every extension version of the local source (dependencies.extensions.local.path) to the registry, then rewrites config/provisioning.yaml: source_type oci with the registry and namespace, tagged entries as full oci:// references. The previous file is kept as config/provisioning.yaml.local-source.bak. Nothing is rewritten unless every push succeeded. Run "dep resolve" afterwards.'
  static examples = [
    '<%= config.bin %> workspace migrate-to-oci demo --dry-run',
    '<%= config.bin %> workspace migrate-to-oci demo --registry harbor.example.com --namespace platform',
  ]
  static args = {name: Args.string({description: 'workspace name or path', required: true})}
  static flags = {
    'dry-run': Flags.boolean({description: 'print the plan; publish and change nothing'}),
    registry: Flags.string({description: 'target registry (default: oci.registry)'}),
    namespace: Flags.string({description: 'target namespace (default: oci.namespace)'}),
    insecure: Flags.boolean({description: 'skip TLS certificate verification'}),
    concurrency: Flags.integer({description: 'artifacts pushed at a time (default: oci.concurrency)', min: 1}),
  }

  async run(): Promise<MigrationResult> {
    const {flags} = this
    const result = await migrateToOci({
      config: await this.session().forWorkspace(this.args.name).config(),
      name: this.args.name,
      dryRun: flags['dry-run'],
      registry: flags.registry,
      namespace: flags.namespace,
      insecure: flags.insecure || undefined,
      concurrency: flags.concurrency,
    })
    return this.present(result, formatMigration)
  }
}
