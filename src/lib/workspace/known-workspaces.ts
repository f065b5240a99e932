import {ConfigError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {homePaths} from '../util/home.js'

export interface WorkspaceEntry {
  name: string
  path: string
}

/**
 * The workspaces this user registered and the active one, kept in
 * `$PROVISIONING_HOME/config/user_config.yaml` (an OCI registry is something else).
 */
export interface KnownWorkspaces {
  active_workspace?: string
  workspaces: WorkspaceEntry[]
}

export async function readKnownWorkspaces(home: string): Promise<KnownWorkspaces> {
  const file = homePaths.knownWorkspaces(home)
  const {parseConfigText, readConfigFileText} = await import('../config/source-file.js')
  let text: string
  try {
    text = readConfigFileText(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {workspaces: []}
    if (error instanceof ConfigError) throw error
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, {hint: 'check the file permissions', details: {file}})
  }
  const {data} = await parseConfigText(text, file, 'yaml')
  const list = data.workspaces ?? []
  if (!Array.isArray(list) || list.some((w) => typeof w?.name !== 'string' || typeof w?.path !== 'string')) {
    throw new ConfigError(`${file}: "workspaces" must be a list of {name, path}`, {
      hint: `repair the file, or remove it and re-register workspaces with "provisioning workspace register NAME PATH"`,
      details: {file},
    })
  }
  const active = typeof data.active_workspace === 'string' ? data.active_workspace : undefined
  return {active_workspace: active, workspaces: list.map((w: WorkspaceEntry) => ({name: w.name, path: w.path}))}
}

export async function writeKnownWorkspaces(home: string, known: KnownWorkspaces): Promise<void> {
  const {stringify} = await import('yaml')
  const sorted = {
    ...(known.active_workspace ? {active_workspace: known.active_workspace} : {}),
    workspaces: [...known.workspaces].sort((a, b) => a.name.localeCompare(b.name)),
  }
  await writeFileAtomic(homePaths.knownWorkspaces(home), `# Registered workspaces (managed by "provisioning workspace")\n${stringify(sorted)}`)
}
