import {BaseCommand} from '../../cli/base-command.js'
import {formatOciConfig} from '../../cli/format/oci.js'
import {describeOciConfig, type OciConfigResult} from '../../lib/oci/ops/config.js'

export default class OciConfig extends BaseCommand<typeof OciConfig> {
  static summary = 'Show the OCI settings in effect and which engine runs, and why'

  async run(): Promise<OciConfigResult> {
    return this.present(await describeOciConfig(this.loadOptions()), formatOciConfig)
  }
}
