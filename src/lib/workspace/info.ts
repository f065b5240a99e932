import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import type {LoadedConfig} from '../config/loader.js'
import {YAML_MAX_ALIAS_COUNT} from '../util/yaml-limits.js'
import type {LockStatus} from './lock/status.js'
import {readKnownWorkspaces} from './known-workspaces.js'

export const EXTENSION_TYPES = ['providers', 'taskservs', 'clusters'] as const

export interface InstalledExtension {
  type: string
  name: string
  version?: string
}

export interface WorkspaceInfo {
  name: string
  path: string
  registered: boolean
  active: boolean
  mode: string
  environment?: string
  infras: string[]
  config: {workspace: string; lockfile: string; lockfilePresent: boolean}
  extensions: InstalledExtension[]
  /** The workspace lock (file, or etcd when locking.provider = etcd). */
  lock: LockStatus
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {withFileTypes: true}).catch(() => [])
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
}

async function manifestVersion(dir: string): Promise<string | undefined> {
  const text = await readFile(path.join(dir, 'manifest.yaml'), 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const {parse} = await import('yaml')
  try {
    const version = (parse(text, {maxAliasCount: YAML_MAX_ALIAS_COUNT}) as {version?: unknown} | null)?.version
    return version === undefined ? undefined : String(version)
  } catch {
    return undefined
  }
}

export async function installedExtensions(root: string): Promise<InstalledExtension[]> {
  const found: InstalledExtension[] = []
  for (const type of EXTENSION_TYPES) {
    for (const name of await subfolders(path.join(root, 'extensions', type))) {
      found.push({type, name, version: await manifestVersion(path.join(root, 'extensions', type, name))})
    }
  }
  return found
}

/** Paths, mode, environment, installed extensions and lock state of a workspace. */
export async function workspaceInfo(loaded: LoadedConfig): Promise<WorkspaceInfo> {
  const {requireWorkspace} = await import('./discover.js')
  const workspace = requireWorkspace({workspace: loaded.workspace, warning: loaded.workspaceWarning})
  const list = await readKnownWorkspaces(loaded.home)
  const lockfile = path.join(workspace.path, 'config', 'provisioning.lock')
  const {lockStatus} = await import('./lock/status.js')
  return {
    name: workspace.name,
    path: workspace.path,
    registered: list.workspaces.some((w) => path.resolve(w.path) === workspace.path),
    active: list.workspaces.some((w) => w.name === list.active_workspace && path.resolve(w.path) === workspace.path),
    mode: loaded.mode.name,
    environment: loaded.environment,
    infras: await subfolders(path.join(workspace.path, 'infra')),
    config: {
      workspace: path.join(workspace.path, 'config', 'provisioning.yaml'),
      lockfile,
      lockfilePresent: await readFile(lockfile).then(
        () => true,
        () => false,
      ),
    },
    extensions: await installedExtensions(workspace.path),
    lock: await lockStatus({name: workspace.name, path: workspace.path}, loaded.values),
  }
}
