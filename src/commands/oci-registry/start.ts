import {BaseCommand} from '../../cli/base-command.js'
import {formatRegistryStart} from '../../cli/format/platform.js'
import {platformSetup} from '../../lib/platform/setup.js'
import type {StartResult} from '../../lib/platform/lifecycle.js'
import {type RegistryEndpoint, startRegistry} from '../../lib/platform/registry-service.js'

export default class OciRegistryStart extends BaseCommand<typeof OciRegistryStart> {
  static summary = 'Start the local OCI registry (shortcut for "platform start oci-registry")'
  static audit = true
  static description =
    'Runs the first of zot, registry, docker-registry found on PATH on 127.0.0.1:<platform.services.oci-registry.port> (default 5000) with storage under $PROVISIONING_HOME/oci-registry/. The default oci.registry follows that port, so "oci push" with default settings lands there.'
  static examples = ['<%= config.bin %> oci-registry start && <%= config.bin %> oci push ./redis']

  async run(): Promise<StartResult & {registry: RegistryEndpoint}> {
    const ctx = platformSetup(await this.session().config())
    return this.present(await startRegistry(ctx), formatRegistryStart)
  }
}
