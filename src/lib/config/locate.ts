import os from 'node:os'
import path from 'node:path'

import type {OriginMap} from './merge.js'
import type {Assignment} from './types.js'

/**
 * The key of `origins` whose value holds `keyPath`: the key itself, or the list (or other
 * non-table value) it lies in. `a.list[1].name` → `a.list` (lists are leaves: a layer
 * replaces a whole list, so one assignment set every item of it).
 */
export function owningKey(origins: OriginMap, keyPath: string): string | undefined {
  for (let key = keyPath; key !== ''; key = parentKeyPath(key)) if (origins.has(key)) return key
  return undefined
}

/** `a.list[1].name` → `a.list[1]` → `a.list` → `a` → `''`. */
export function parentKeyPath(keyPath: string): string {
  return keyPath.slice(0, Math.max(keyPath.lastIndexOf('.'), keyPath.lastIndexOf('['), 0))
}

/** The assignment that set the effective value at `keyPath` (the last of its owning key's history). */
export function winningAssignment(origins: OriginMap, keyPath: string): {key: string; assignment: Assignment} | undefined {
  const key = owningKey(origins, keyPath)
  const assignment = key === undefined ? undefined : origins.get(key)?.at(-1)
  return key === undefined || !assignment ? undefined : {key, assignment}
}

/**
 * A file as people read it in a message: relative to the workspace when inside it
 * (`config/provisioning.yaml`), `~/…` inside the home folder, else absolute.
 */
export function displayFile(file: string, options: {workspace?: string; home?: string} = {}): string {
  const inside = (dir: string) => {
    const relative = path.relative(dir, file)
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : undefined
  }
  const inWorkspace = options.workspace ? inside(options.workspace) : undefined
  if (inWorkspace) return inWorkspace
  const home = options.home ?? os.homedir()
  const inHome = home && home !== path.parse(home).root ? inside(home) : undefined
  return inHome ? `~${path.sep}${inHome}` : file
}

/** `config/provisioning.yaml:12`, `config/provisioning.yaml` (no line known), or a runtime source (`--set a.b`). */
export function describeSite(site: {file?: string; line?: number; source?: string}, options: {workspace?: string; home?: string} = {}): string | undefined {
  if (site.file) return `${displayFile(site.file, options)}${site.line === undefined ? '' : `:${site.line}`}`
  return site.source
}
