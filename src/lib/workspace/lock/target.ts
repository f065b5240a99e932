import {type LoadOptions} from '../../config/loader.js'
import type {ConfigTable} from '../../config/types.js'
import {ConfigError} from '../../errors.js'
import {requireWorkspace} from '../discover.js'
import type {LockProvider, LockTarget} from './provider.js'
import type {LockSnapshot} from './record.js'
import {lockSettings, type LockSettings} from './settings.js'
import {selectAndLoadConfig} from '../../session/select-config.js'

export interface OpenedTarget {
  target: LockTarget
  settings: LockSettings
  values: ConfigTable
}

/** The workspace NAME|PATH names (the usual lookup), with the lock settings of its config. */
export async function openTarget(options: LoadOptions & {name?: string}): Promise<OpenedTarget> {
  const loaded = await selectAndLoadConfig(options.name ? {...options, workspace: options.name} : options)
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
