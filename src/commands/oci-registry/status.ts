import {BaseCommand} from '../../cli/base-command.js'
import {formatRegistryStatus} from '../../cli/format/platform.js'
import {platformSetup} from '../../lib/platform/setup.js'
import {type RegistryEndpoint, registryStatus} from '../../lib/platform/registry-service.js'
import type {ServiceStatus} from '../../lib/platform/status.js'

export default class OciRegistryStatus extends BaseCommand<typeof OciRegistryStatus> {
  static summary = 'Show the local OCI registry: state, address, binary, storage (shortcut for "platform status oci-registry")'

  async run(): Promise<ServiceStatus & {registry: RegistryEndpoint}> {
    const ctx = platformSetup(await this.session().config())
    return this.present(await registryStatus(ctx), formatRegistryStatus)
  }
}
