import type {ConfigLoader, ConfigSelection, LoadedConfig, LoadOptions} from '../config/loader.js'

/**
 * What one command run knows about its setting: the workspace and mode it selected and
 * their config, each found once and only when first asked for (commands that need no
 * config, such as completion, never load it). The loading code is imported on first use,
 * so building a session costs nothing at startup.
 */
export class Session {
  private selected?: Promise<ConfigSelection>
  private loaded?: Promise<LoadedConfig>

  constructor(readonly options: LoadOptions = {}) {}

  /** The workspace and mode the run selected (SPEC §4, §7), without loading config. */
  selection(): Promise<ConfigSelection> {
    this.selected ??= import('./select-config.js').then(({cacheParsedConfig, selectWorkspaceAndMode}) => {
      cacheParsedConfig(this.options.env)
      return selectWorkspaceAndMode(this.options)
    })
    return this.selected
  }

  /** The run's merged config, loaded once (a function of its own: libraries may take it to load when they start). */
  readonly config = (): Promise<LoadedConfig> => {
    this.loaded ??= this.loadConfig()
    return this.loaded
  }

  /** A fresh load of the run's config (after an edit), or one that collects every problem or line (`config validate`, `show --origin`). */
  readonly loadConfig: ConfigLoader = async (extra = {}) => {
    const [{cacheParsedConfig}, {loadConfig}] = await Promise.all([import('./select-config.js'), import('../config/loader.js')])
    cacheParsedConfig(this.options.env)
    return loadConfig(await this.selection(), {...this.options, ...extra})
  }

  /** The run's config as it would be with `mode` active (`mode validate NAME`, `mode switch NAME`). */
  readonly configWithMode = (mode: string): Promise<LoadedConfig> => new Session({...this.options, mode}).config()

  /**
   * Refuses (exit 9) when another owner holds the selected workspace's lock: for operations
   * below workspace/ that edit the workspace's files (repo add/update/remove of a public
   * repository), which cannot look the lock up themselves.
   */
  readonly assertWorkspaceWritable = async (doing: string): Promise<void> => {
    const loaded = await this.config()
    if (!loaded.workspace) return
    const {assertWorkspaceWritable} = await import('../workspace/lock/status.js')
    await assertWorkspaceWritable({name: loaded.workspace.name, path: loaded.workspace.path}, loaded.values, doing)
  }

  /** The session of the workspace a command argument names (`workspace info NAME`); this one when none is named. */
  forWorkspace(workspace: string | undefined): Session {
    return workspace ? new Session({...this.options, workspace}) : this
  }
}
