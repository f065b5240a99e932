import {BaseCommand} from '../../cli/base-command.js'
import {formatList} from '../../cli/format/platform.js'
import {platformContext} from '../../lib/platform/context.js'
import {type ListedService, listServices} from '../../lib/platform/status.js'

export default class PlatformList extends BaseCommand<typeof PlatformList> {
  static summary = 'List service definitions and whether their binaries are installed'

  async run(): Promise<{services: ListedService[]}> {
    const ctx = platformContext(await this.session().config())
    return this.present(await listServices(ctx), formatList)
  }
}
