import {statSync} from 'node:fs'
import path from 'node:path'

import {type WorkspaceRef, type WorkspaceSource, workspaceConfigFile} from '../config/types.js'
import {NotFoundError} from '../errors.js'
import {expandHome} from '../util/home.js'
import {type KnownWorkspaces, readKnownWorkspaces} from './known-workspaces.js'

export {workspaceConfigFile} from '../config/types.js'

async function isWorkspace(dir: string): Promise<boolean> {
  try {
    return statSync(workspaceConfigFile(dir)).isFile()
  } catch {
    return false
  }
}

function looksLikePath(value: string): boolean {
  return value.includes('/') || value.startsWith('.') || value.startsWith('~')
}

function nameFor(dir: string, list: KnownWorkspaces): string {
  return list.workspaces.find((w) => path.resolve(w.path) === dir)?.name ?? path.basename(dir)
}

/** Resolves an explicit `--workspace`/`PROVISIONING_WORKSPACE` value: a path or a registered name. */
async function resolveExplicit(value: string, source: WorkspaceSource, cwd: string, list: KnownWorkspaces): Promise<WorkspaceRef> {
  const origin = source === 'flag' ? `--workspace ${value}` : `PROVISIONING_WORKSPACE=${value}`
  const entry = list.workspaces.find((w) => w.name === value)
  if (entry && !looksLikePath(value)) {
    if (!(await isWorkspace(entry.path))) {
      throw new NotFoundError(`workspace "${value}" is registered at ${entry.path}, but that folder holds no config/provisioning.yaml`, {
        hint: `restore the folder, or "provisioning workspace remove ${value}" and register it again`,
        details: {workspace: value, path: entry.path},
      })
    }
    return {name: entry.name, path: path.resolve(entry.path), source}
  }
  const dir = path.resolve(cwd, expandHome(value))
  if (await isWorkspace(dir)) return {name: nameFor(dir, list), path: dir, source}
  const known = list.workspaces.map((w) => w.name)
  throw new NotFoundError(`no workspace "${value}" (from ${origin}): not a registered name and ${dir} holds no config/provisioning.yaml`, {
    hint:
      known.length > 0
        ? `registered workspaces: ${known.join(', ')}; or create one with "provisioning workspace init NAME"`
        : 'create one with "provisioning workspace init NAME --path DIR"',
    details: {workspace: value},
  })
}

export interface Discovery {
  workspace?: WorkspaceRef
  /** Set when the active workspace is registered but its folder is gone. */
  warning?: string
}

/** SPEC §4 order: --workspace, PROVISIONING_WORKSPACE, nearest parent folder, active workspace. */
export async function discoverWorkspace(options: {flag?: string; env: NodeJS.ProcessEnv; cwd: string; home: string}): Promise<Discovery> {
  const list = await readKnownWorkspaces(options.home)
  if (options.flag) return {workspace: await resolveExplicit(options.flag, 'flag', options.cwd, list)}
  if (options.env.PROVISIONING_WORKSPACE) {
    return {workspace: await resolveExplicit(options.env.PROVISIONING_WORKSPACE, 'env', options.cwd, list)}
  }
  for (let dir = path.resolve(options.cwd); ; dir = path.dirname(dir)) {
    if (await isWorkspace(dir)) return {workspace: {name: nameFor(dir, list), path: dir, source: 'cwd'}}
    if (path.dirname(dir) === dir) break
  }
  const active = list.workspaces.find((w) => w.name === list.active_workspace)
  if (active) {
    if (await isWorkspace(active.path)) return {workspace: {name: active.name, path: path.resolve(active.path), source: 'active'}}
    return {warning: `the active workspace "${active.name}" points to ${active.path}, which holds no config/provisioning.yaml`}
  }
  return {}
}

export function requireWorkspace(discovery: Discovery): WorkspaceRef {
  if (discovery.workspace) return discovery.workspace
  throw new NotFoundError(discovery.warning ?? 'no workspace found', {
    hint: 'pass --workspace NAME|PATH, set PROVISIONING_WORKSPACE, cd into a workspace, or "provisioning workspace switch NAME"',
  })
}
