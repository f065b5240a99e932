import {cp, mkdir, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {LoadedConfig} from '../config/loader.js'
import {pathSettingsFrom} from '../config/path-settings.js'
import {ValidationError} from '../errors.js'
import {expandHome} from '../util/home.js'
import {templatePath} from '../util/package-root.js'
import {checkWorkspaceName, updateKnownWorkspaces} from './manage.js'

export interface InitOptions {
  home: string
  name: string
  /** --path; default `<workspacesDir>/<name>`. */
  dir?: string
  workspacesDir: string
  cwd: string
  activate: boolean
}

export interface InitResult {
  name: string
  path: string
  activated: boolean
  files: string[]
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(root, full)))
    else out.push(path.relative(root, full))
  }
  return out.sort()
}

/**
 * Scaffolds templates/workspace into a new folder and registers it. The scaffold is
 * built in a temp sibling and renamed into place, so a failure leaves nothing behind;
 * an existing non-empty folder is refused and left untouched.
 */
export async function initWorkspace(options: InitOptions): Promise<InitResult> {
  checkWorkspaceName(options.name)
  const target = path.resolve(options.cwd, expandHome(options.dir ?? path.join(options.workspacesDir, options.name)))

  const existing = await stat(target).catch(() => undefined)
  if (existing && !existing.isDirectory()) {
    throw new ValidationError(`${target} exists and is not a folder`, {hint: 'choose another --path', details: {path: target}})
  }
  if (existing && (await readdir(target)).length > 0) {
    throw new ValidationError(`refusing to initialize a workspace in ${target}: the folder is not empty`, {
      hint: `choose an empty or new folder with --path, or register an existing workspace with "provisioning workspace register ${options.name} ${target}"`,
      details: {path: target},
    })
  }

  return updateKnownWorkspaces(options.home, async (list) => {
    const clash = list.workspaces.find((w) => w.name === options.name)
    if (clash) {
      throw new ValidationError(`workspace name "${options.name}" is already registered for ${clash.path}`, {
        hint: `pick another name, or "provisioning workspace remove ${options.name}" first`,
        details: {workspace: options.name, path: clash.path},
      })
    }
    await mkdir(path.dirname(target), {recursive: true})
    const staging = path.join(path.dirname(target), `.${path.basename(target)}.init-${process.pid}`)
    await rm(staging, {recursive: true, force: true})
    try {
      await cp(templatePath('workspace'), staging, {recursive: true})
      for (const file of await listFiles(staging)) {
        const full = path.join(staging, file)
        const text = await readFile(full, 'utf8')
        if (text.includes('__WORKSPACE_NAME__')) await writeFile(full, text.replaceAll('__WORKSPACE_NAME__', options.name))
      }
      // rename(2) replaces an empty directory, so an existing empty target needs no removal.
      await rename(staging, target)
    } catch (error) {
      await rm(staging, {recursive: true, force: true})
      throw error
    }
    list.workspaces.push({name: options.name, path: target})
    if (options.activate) list.active_workspace = options.name
    return {name: options.name, path: target, activated: options.activate, files: await listFiles(target)}
  })
}

/** `workspace init`: new workspaces go to --path, else under the configured paths.workspaces. */
export function createWorkspace(loaded: LoadedConfig, options: {name: string; dir?: string; activate: boolean}): Promise<InitResult> {
  return initWorkspace({
    home: loaded.home,
    name: options.name,
    dir: options.dir,
    workspacesDir: pathSettingsFrom(loaded).workspaces,
    cwd: loaded.cwd,
    activate: options.activate,
  })
}
