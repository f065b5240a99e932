import {BaseCommand} from '../../cli/base-command.js'
import {formatLayers} from '../../cli/format/config.js'
import {listLayers} from '../../lib/config/query.js'
import type {LayerReport} from '../../lib/config/types.js'

export default class ConfigLayers extends BaseCommand<typeof ConfigLayers> {
  static summary = 'List the seven config layers: file, whether present, parse status'
  static examples = ['<%= config.bin %> config layers', '<%= config.bin %> config layers --env prod --infra eu1']

  async run(): Promise<{mode: string; workspace?: string; layers: LayerReport[]}> {
    return this.present(await listLayers(this.session().loadConfig), formatLayers)
  }
}
