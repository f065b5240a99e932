import {type ConfigSelection, loadConfig, type LoadedConfig, type LoadOptions} from '../config/loader.js'
import {useParseCache} from '../config/parse-cache.js'
import type {ActiveMode} from '../config/types.js'
import {activeMode, availableModes, modeTemplateFiles} from '../mode/active.js'
import {homePaths, provisioningHome} from '../util/home.js'
import {discoverWorkspace} from '../workspace/discover.js'

/**
 * From here on, parsed YAML is cached in the home (config/parse-cache.ts): set before a run
 * selects and loads its config, so the known workspaces and the mode file are cached too.
 */
export function cacheParsedConfig(env: NodeJS.ProcessEnv = process.env): void {
  const home = provisioningHome(env)
  useParseCache(homePaths.parseCache(home), homePaths.cacheKey(home))
}

/**
 * The workspace (SPEC §4: --workspace, PROVISIONING_WORKSPACE, cwd, the active one) and the
 * mode (SPEC §7: an override, PROVISIONING_MODE, active-mode.yaml, solo) a run selects.
 */
export async function selectWorkspaceAndMode(options: LoadOptions = {}): Promise<ConfigSelection> {
  const env = options.env ?? process.env
  const home = provisioningHome(env)
  const cwd = options.cwd ?? process.cwd()
  const discovery = await discoverWorkspace({flag: options.workspace, env, cwd, home})
  const workspacePath = discovery.workspace?.path
  const mode: ActiveMode = options.mode ? {name: options.mode, source: 'override', origin: 'argument'} : await activeMode(home, env)
  return {
    home,
    cwd,
    workspace: discovery.workspace,
    workspaceWarning: discovery.warning,
    mode,
    availableModes: await availableModes(workspacePath),
    modeFiles: modeTemplateFiles(mode.name, workspacePath),
  }
}

/** Selects the workspace and mode the options name, then loads their config. */
export async function selectAndLoadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  cacheParsedConfig(options.env)
  return loadConfig(await selectWorkspaceAndMode(options), options)
}
