import {Args} from '@oclif/core'

import {BaseCommand} from '../../../cli/base-command.js'
import {formatValidation} from '../../../cli/format/package.js'
import {assertValidExtension, type ExtensionValidationReport} from '../../../lib/extension/validate.js'

export default class OciPackageValidate extends BaseCommand<typeof OciPackageValidate> {
  static summary = 'Check an extension folder: structure and every manifest field (exit 10 listing all problems)'
  static description =
    'Unknown manifest fields (typos such as dependancies) are warnings naming the closest known field; they keep the exit code 0. In --json, "errors" and "warnings" are counts; "problems" lists each with its severity, hint and suggestion.'
  static args = {dir: Args.string({description: 'extension folder (holds manifest.yaml)', required: true})}

  async run(): Promise<ExtensionValidationReport> {
    const report = await assertValidExtension(this.args.dir)
    return this.present(report, formatValidation)
  }
}
