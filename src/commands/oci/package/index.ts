import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../../cli/base-command.js'
import {formatBytes} from '../../../cli/format/oci.js'
import {formatExcluded, formatPackageWarning} from '../../../cli/format/package.js'
import {writePackage, type WrittenPackage} from '../../../lib/extension/package.js'

export default class OciPackage extends BaseCommand<typeof OciPackage> {
  static summary = 'Package an extension folder into a reproducible {name}-{version}.tar.gz'
  static description =
    "The same folder always gives the same bytes, whatever the file times, owners or umask (SOURCE_DATE_EPOCH sets the entry time). Entries matching .provisioningignore (gitignore syntax) and its defaults (.git/, .env*, editor files, the extension's own tarballs) are left out; --verbose lists them."
  static args = {dir: Args.string({description: 'extension folder (holds manifest.yaml)', required: true})}
  static flags = {output: Flags.string({char: 'o', description: 'folder to write the tarball to (default: the current folder)'})}

  async run(): Promise<WrittenPackage> {
    const result = await writePackage(this.args.dir, this.flags.output ?? process.cwd())
    if (this.verbose) this.note(formatExcluded(this.args.dir, result.excluded))
    for (const warning of result.warnings) this.noteWarning(formatPackageWarning(this.args.dir, warning))
    return this.present(result, (r) => `wrote ${r.path} (${formatBytes(r.size)})\ndigest: ${r.digest}`)
  }
}
