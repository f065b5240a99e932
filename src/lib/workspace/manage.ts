import {stat} from 'node:fs/promises'
import path from 'node:path'

import {NotFoundError, ValidationError} from '../errors.js'
import {withFileLock} from '../util/file-lock.js'
import {expandHome, homePaths} from '../util/home.js'
import {workspaceConfigFile} from './discover.js'
import {type KnownWorkspaces, readKnownWorkspaces, type WorkspaceEntry, writeKnownWorkspaces} from './known-workspaces.js'

export const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

export function checkWorkspaceName(name: string): void {
  if (!WORKSPACE_NAME.test(name)) {
    throw new ValidationError(`invalid workspace name "${name}"`, {hint: 'use letters, digits, ".", "_" and "-", starting with a letter or digit'})
  }
}

/** Read-modify-write of user_config.yaml under a lock, so concurrent commands never lose an update. */
export async function updateKnownWorkspaces<T>(home: string, change: (list: KnownWorkspaces) => T | Promise<T>): Promise<T> {
  return withFileLock(`${homePaths.knownWorkspaces(home)}.lock`, {waitMs: 10_000, purpose: 'workspace list update'}, async () => {
    const list = await readKnownWorkspaces(home)
    const result = await change(list)
    await writeKnownWorkspaces(home, list)
    return result
  })
}

async function folderState(dir: string): Promise<'missing' | 'workspace' | 'other'> {
  try {
    await stat(dir)
  } catch {
    return 'missing'
  }
  try {
    return (await stat(workspaceConfigFile(dir))).isFile() ? 'workspace' : 'other'
  } catch {
    return 'other'
  }
}

function unknownWorkspace(name: string, list: KnownWorkspaces): NotFoundError {
  const known = list.workspaces.map((w) => w.name)
  return new NotFoundError(`no registered workspace "${name}"`, {
    hint:
      known.length > 0
        ? `registered: ${known.join(', ')}`
        : 'create one with "provisioning workspace init NAME" or register a folder with "provisioning workspace register NAME PATH"',
    details: {workspace: name},
  })
}

export interface WorkspaceListing extends WorkspaceEntry {
  active: boolean
  /** Whether the folder still holds config/provisioning.yaml. */
  exists: boolean
}

export async function listWorkspaces(home: string): Promise<{active?: string; workspaces: WorkspaceListing[]}> {
  const list = await readKnownWorkspaces(home)
  const workspaces = await Promise.all(
    list.workspaces.map(async (w) => ({
      ...w,
      active: w.name === list.active_workspace,
      exists: (await folderState(w.path)) === 'workspace',
    })),
  )
  return {active: list.active_workspace, workspaces}
}

export async function activeWorkspace(home: string): Promise<WorkspaceListing> {
  const {active, workspaces} = await listWorkspaces(home)
  const entry = workspaces.find((w) => w.name === active)
  if (!entry) {
    throw new NotFoundError('no active workspace', {hint: 'activate one with "provisioning workspace switch NAME"'})
  }
  return entry
}

export async function switchWorkspace(home: string, name: string): Promise<{name: string; path: string; previous?: string}> {
  return updateKnownWorkspaces(home, async (list) => {
    const entry = list.workspaces.find((w) => w.name === name)
    if (!entry) throw unknownWorkspace(name, list)
    if ((await folderState(entry.path)) !== 'workspace') {
      throw new NotFoundError(`workspace "${name}" is registered at ${entry.path}, but that folder holds no config/provisioning.yaml`, {
        hint: `restore the folder, or "provisioning workspace remove ${name}" and register the right path`,
        details: {workspace: name, path: entry.path},
      })
    }
    const previous = list.active_workspace
    list.active_workspace = name
    return {name, path: entry.path, previous}
  })
}

export async function registerWorkspace(home: string, name: string, dir: string, cwd: string): Promise<{name: string; path: string; updated: boolean}> {
  checkWorkspaceName(name)
  const target = path.resolve(cwd, expandHome(dir))
  const state = await folderState(target)
  if (state !== 'workspace') {
    throw new NotFoundError(`${target} is not a workspace: ${state === 'missing' ? 'the folder does not exist' : 'it holds no config/provisioning.yaml'}`, {
      hint: `create it with "provisioning workspace init ${name} --path ${dir}"`,
      details: {path: target},
    })
  }
  return updateKnownWorkspaces(home, (list) => {
    const byName = list.workspaces.find((w) => w.name === name)
    if (byName && path.resolve(byName.path) !== target) {
      throw new ValidationError(`workspace name "${name}" is already registered for ${byName.path}`, {
        hint: `pick another name, or "provisioning workspace remove ${name}" first`,
        details: {workspace: name, path: byName.path},
      })
    }
    const byPath = list.workspaces.find((w) => path.resolve(w.path) === target && w.name !== name)
    if (byPath) {
      throw new ValidationError(`${target} is already registered as "${byPath.name}"`, {
        hint: `use that name, or "provisioning workspace remove ${byPath.name}" first`,
        details: {workspace: byPath.name, path: target},
      })
    }
    if (!byName) list.workspaces.push({name, path: target})
    return {name, path: target, updated: !byName}
  })
}

/** Unregisters a workspace; its files are never touched. */
export async function removeWorkspace(home: string, name: string): Promise<{name: string; path: string; wasActive: boolean}> {
  return updateKnownWorkspaces(home, (list) => {
    const entry = list.workspaces.find((w) => w.name === name)
    if (!entry) throw unknownWorkspace(name, list)
    list.workspaces = list.workspaces.filter((w) => w.name !== name)
    const wasActive = list.active_workspace === name
    if (wasActive) delete list.active_workspace
    return {name, path: entry.path, wasActive}
  })
}
