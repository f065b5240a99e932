import {BaseCommand} from '../../cli/base-command.js'
import {formatStop} from '../../cli/format/platform.js'
import {platformSetup} from '../../lib/platform/setup.js'
import type {StopResult} from '../../lib/platform/lifecycle.js'
import {stopRegistry} from '../../lib/platform/registry-service.js'

export default class OciRegistryStop extends BaseCommand<typeof OciRegistryStop> {
  static summary = 'Stop the local OCI registry (shortcut for "platform stop oci-registry"); its storage is kept'
  static audit = true

  async run(): Promise<StopResult> {
    const ctx = platformSetup(await this.session().config())
    return this.present(await stopRegistry(ctx), formatStop)
  }
}
