// The dependency commands' settings: the one place outside config/ where `deps.*` keys are read.
import type {LoadedConfig} from '../config/loader.js'
import {getPath} from '../config/merge.js'

export interface DependencySettings {
  /** How long `dep resolve` waits for another resolve of the same workspace (deps.lock_timeout_seconds). */
  lockTimeoutSeconds: number
}

export function dependencySettingsFrom(config: LoadedConfig): DependencySettings {
  return {lockTimeoutSeconds: Number(getPath(config.values, 'deps.lock_timeout_seconds') ?? 10)}
}
