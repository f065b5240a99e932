import {BaseCommand} from '../../cli/base-command.js'
import {formatOciConfig} from '../../cli/format/oci.js'
import {describeOciConfig, type OciConfigResult} from '../../lib/oci/ops/config.js'

export default class OciConfig extends BaseCommand<typeof OciConfig> {
  static summary = 'Show the OCI settings in effect and which engine runs, and why'
  static description = 'Inside a workspace, the registry shown is its declared source (dependencies.extensions.oci), the one dep resolve uses.'

  async run(): Promise<OciConfigResult> {
    return this.present(await describeOciConfig({config: this.session().config, onWarning: this.noteWarning}), formatOciConfig)
  }
}
