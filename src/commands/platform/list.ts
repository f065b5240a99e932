import {BaseCommand} from '../../cli/base-command.js'
import {formatList} from '../../cli/format/platform.js'
import {platformSetup} from '../../lib/platform/setup.js'
import {type ListedService, listServices} from '../../lib/platform/status.js'

export default class PlatformList extends BaseCommand<typeof PlatformList> {
  static summary = 'List service definitions and whether their binaries are installed'

  async run(): Promise<{services: ListedService[]}> {
    const ctx = platformSetup(await this.session().config())
    return this.present(await listServices(ctx), formatList)
  }
}
