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
    this.selected ??= import('./select-config.js').then(({selectWorkspaceAndMode}) => selectWorkspaceAndMode(this.options))
    return this.selected
  }

  /** The run's merged config, loaded once. */
  config(): Promise<LoadedConfig> {
    this.loaded ??= Promise.all([this.selection(), import('../config/loader.js')]).then(([selection, {loadConfig}]) => loadConfig(selection, this.options))
    return this.loaded
  }

  /** A fresh load of the run's config (after an edit), or one that collects every problem or line (`config validate`, `show --origin`). */
  readonly loadConfig: ConfigLoader = async (extra = {}) => {
    const {loadConfig} = await import('../config/loader.js')
    return loadConfig(await this.selection(), {...this.options, ...extra})
  }

  /** The session of the workspace a command argument names (`workspace info NAME`); this one when none is named. */
  forWorkspace(workspace: string | undefined): Session {
    return workspace ? new Session({...this.options, workspace}) : this
  }

  /** The session as if `mode` were active (`mode validate NAME`, `mode switch NAME`). */
  forMode(mode: string): Session {
    return new Session({...this.options, mode})
  }
}
