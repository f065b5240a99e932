import type {LoadedConfig} from './loader.js'
import {getPath} from './merge.js'

/** The `paths.*` folders other areas use, read in one place. */
export interface PathSettings {
  /** paths.services when set to a non-empty string: where platform services keep their state (relative to the home). */
  services?: string
  /** paths.workspaces: where `workspace init` creates workspaces without --path. */
  workspaces: string
  /** paths.extensions: the core extension layer (`module discover`, `module resolve`). */
  extensions: string
}

export function pathSettingsFrom(config: LoadedConfig): PathSettings {
  const services = getPath(config.values, 'paths.services')
  return {
    ...(typeof services === 'string' && services !== '' ? {services} : {}),
    workspaces: String(getPath(config.values, 'paths.workspaces')),
    extensions: String(getPath(config.values, 'paths.extensions')),
  }
}
