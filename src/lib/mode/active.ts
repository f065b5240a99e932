import {readdirSync} from 'node:fs'
import path from 'node:path'

import type {ActiveMode} from '../config/types.js'
import {ConfigError} from '../errors.js'
import {homePaths} from '../util/home.js'
import {templatePath} from '../util/package-root.js'

export type {ActiveMode} from '../config/types.js'

export const DEFAULT_MODE = 'solo'

/** Modes shipped in templates/modes, plus those a workspace defines in config/modes/. */
export async function availableModes(workspacePath?: string): Promise<string[]> {
  const names = new Set<string>()
  const dirs = [templatePath('modes'), ...(workspacePath ? [path.join(workspacePath, 'config', 'modes')] : [])]
  for (const dir of dirs) {
    let entries: string[] = []
    try {
      entries = readdirSync(dir)
    } catch {
      // No such folder: no modes from it.
    }
    for (const entry of entries) if (entry.endsWith('.yaml')) names.add(entry.slice(0, -'.yaml'.length))
  }
  return [...names].sort()
}

/** SPEC §7: PROVISIONING_MODE, else active-mode.yaml, else solo. */
export async function activeMode(home: string, env: NodeJS.ProcessEnv): Promise<ActiveMode> {
  if (env.PROVISIONING_MODE) return {name: env.PROVISIONING_MODE, source: 'env', origin: 'PROVISIONING_MODE'}
  const file = homePaths.activeMode(home)
  const {parseConfigText, readConfigFileText} = await import('../config/source-file.js')
  let text: string
  try {
    text = readConfigFileText(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {name: DEFAULT_MODE, source: 'default', origin: 'default'}
    if (error instanceof ConfigError) throw error
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, {hint: 'check the file permissions', details: {file}})
  }
  const {data} = await parseConfigText(text, file, 'yaml')
  if (typeof data.mode !== 'string' || data.mode === '') {
    throw new ConfigError(`${file}: expected "mode: NAME"`, {hint: 'run "provisioning mode switch solo" to rewrite it', details: {file}})
  }
  return {name: data.mode, source: 'file', origin: file}
}

export function modeTemplateFiles(name: string, workspacePath?: string): string[] {
  return [templatePath('modes', `${name}.yaml`), ...(workspacePath ? [path.join(workspacePath, 'config', 'modes', `${name}.yaml`)] : [])]
}
