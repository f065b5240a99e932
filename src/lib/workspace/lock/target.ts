import type {LoadedConfig} from '../../config/loader.js'
import type {ConfigTable} from '../../config/types.js'
import {ConfigError} from '../../errors.js'
import {requireWorkspace} from '../discover.js'
import type {LockProvider, LockTarget} from './provider.js'
import type {LockSnapshot} from './record.js'
import {lockSettings, type LockSettings} from './settings.js'

export interface OpenedTarget {
  target: LockTarget
  settings: LockSettings
  values: ConfigTable
}

export interface LockTargetOptions {
  /** The config of the workspace to lock: the one the command names (NAME|PATH, the usual lookup) or the run's. */
  config: LoadedConfig
}

/** The workspace the config was loaded for, with its lock settings. */
export async function openTarget(options: LockTargetOptions): Promise<OpenedTarget> {
  const loaded = options.config
  const workspace = requireWorkspace({workspace: loaded.workspace, warning: loaded.workspaceWarning})
  return {target: {name: workspace.name, path: workspace.path}, settings: lockSettings(loaded.values), values: loaded.values}
}

/** Garbage where a lock should be: reported with what to do, never guessed at. */
export function unreadableLock(provider: LockProvider, target: LockTarget, snapshot: LockSnapshot): ConfigError {
  return new ConfigError(`${provider.location(target)} holds an unreadable workspace lock: ${snapshot.problem}`, {
    hint: `check who locked workspace ${target.name}, then remove the lock with "provisioning workspace unlock ${target.name} --force"`,
    details: {workspace: target.name, provider: provider.kind, location: provider.location(target)},
  })
}
