import {Args} from '@oclif/core'

import {BaseCommand} from '../../../cli/base-command.js'
import {formatProblem} from '../../../lib/extension/problems.js'
import {assertValidExtension, type ExtensionValidationReport} from '../../../lib/extension/validate.js'

export default class OciPackageValidate extends BaseCommand<typeof OciPackageValidate> {
  static summary = 'Check an extension folder: structure and every manifest field (exit 10 listing all problems)'
  static args = {dir: Args.string({description: 'extension folder (holds manifest.yaml)', required: true})}

  async run(): Promise<ExtensionValidationReport> {
    const report = await assertValidExtension(this.args.dir)
    return this.present(report, (r) => [`${r.manifest?.name}@${r.manifest?.version} (${r.manifest?.type}) is valid`, ...(r.problems.length > 0 ? ['warnings:'] : []), ...r.problems.map((p) => formatProblem(p))].join('\n'))
  }
}
