import {lstat, mkdir, mkdtemp, readdir, rm} from 'node:fs/promises'
import path from 'node:path'

import {NotFoundError, ValidationError} from '../errors.js'
import {EXTENSION_TYPES} from '../extension/names.js'
import {type WorkspaceDependenciesOptions, openWorkspaceDependencies, readLock, withSourceOci} from './workspace-dependencies.js'
import {assertExtensionFolders, extensionDir, type Installer} from './install.js'
import {compareTrees, listTree, type TreeListing, TreeTooLarge} from './installed-tree.js'
import {lockContractProblems} from './lock-contract.js'
import {ociInstaller} from './oci-installer.js'
import type {PlannedExtension} from './plan.js'

/** One installed extension (or folder) that is not what the lock pins. */
export interface InstalledDifference {
  /** The folder, relative to the workspace (`extensions/taskservs/etcd`). */
  folder: string
  name: string
  /** The locked version (absent for a folder the lock does not list). */
  version?: string
  problem: 'modified' | 'missing-folder' | 'not-a-folder' | 'unreadable' | 'not-locked'
  /** Files (relative to the folder) whose kind, mode or content differ; missing; not in the locked content. */
  modified?: string[]
  missing?: string[]
  extra?: string[]
  reason?: string
}

export interface VerifyResult {
  workspace: string
  lockfile: string
  /** Extensions whose every file matched the locked content. */
  verified: string[]
  clean: true
}

/** Files listed per extension in --json (a count says how many there are in all). */
const MAX_FILES_LISTED = 1000
/** ... and in the message. */
const MAX_FILES_SHOWN = 10

/**
 * `dep verify`: every locked extension's folder against the content the lock pins, file by
 * file (kind, permission bits, sha256, link targets), and every extension folder the lock
 * does not list. The expected tree is the pinned layer itself (from the blob cache, fetched
 * when missing), unpacked into a temp folder with the same checks as an install: nothing in
 * the workspace (the state file, the folders) is believed. Exit 10 listing every difference.
 */
export async function verifyInstalled(options: WorkspaceDependenciesOptions & {offline?: boolean}): Promise<VerifyResult> {
  const context = await openWorkspaceDependencies(options)
  const {workspace, lockfile} = context
  const lock = await readLock(context)
  if (!lock)
    throw new NotFoundError(`${lockfile} does not exist, so there is nothing to verify the installed extensions against`, {
      hint: 'run "provisioning dep resolve" first',
      details: {lockfile},
    })
  const {entries, problems} = lockContractProblems(lock, context.declaration, context.settings.cwd)
  if (problems.length > 0) {
    throw new ValidationError(
      `${lockfile} does not agree with the declaration, so the installed extensions cannot be verified against it:\n${problems
        .slice(0, 20)
        .map((p) => `  - ${p}`)
        .join('\n')}`,
      {
        hint: 'run "provisioning dep resolve" to re-resolve and reinstall, then "provisioning dep verify" again',
        details: {lockfile, problems},
      },
    )
  }
  await assertExtensionFolders(workspace)
  const extensions: PlannedExtension[] = entries.map(({entry, origin}) => ({...entry, origin}))
  const differences = await withSourceOci(context, (oci) =>
    installedDifferences(workspace, extensions, ociInstaller(oci, context.settings.concurrency, Boolean(options.offline)), path.join(oci.cache.dir, 'tmp')),
  )
  differences.push(...(await unlockedFolders(workspace, extensions)))
  if (differences.length > 0) {
    throw new ValidationError(`${differences.length} installed extension folder(s) differ from ${lockfile}:\n${differences.map(describe).join('\n')}`, {
      hint: 'run "provisioning dep resolve --force" to reinstall the locked extensions that differ (folders the lock does not list are left alone: remove them, or declare them)',
      details: {lockfile, differences},
    })
  }
  return {workspace, lockfile, verified: extensions.map((e) => e.name).sort(), clean: true}
}

/**
 * The extensions whose folder is not exactly the content the plan pins. `installer` unpacks
 * the pinned content into a temp folder under `tmpDir` (its prefetch fetches only what the
 * cache lacks), which is removed again.
 */
export async function installedDifferences(
  workspace: string,
  extensions: PlannedExtension[],
  installer: Installer,
  tmpDir: string,
): Promise<InstalledDifference[]> {
  const differences: InstalledDifference[] = []
  const present: Array<{extension: PlannedExtension; dir: string}> = []
  for (const extension of extensions) {
    const dir = extensionDir(workspace, extension.type, extension.name)
    const base = {folder: path.relative(workspace, dir), name: extension.name, version: extension.version}
    const info = await lstat(dir).catch(() => undefined)
    if (!info) differences.push({...base, problem: 'missing-folder'})
    else if (!info.isDirectory()) differences.push({...base, problem: 'not-a-folder', reason: info.isSymbolicLink() ? 'a symbolic link' : 'not a folder'})
    else present.push({extension, dir})
  }
  if (present.length === 0) return sortByFolder(differences)
  await installer.prefetch(present.map((p) => p.extension))
  await mkdir(tmpDir, {recursive: true})
  const scratch = await mkdtemp(path.join(tmpDir, 'verify-'))
  try {
    for (const {extension, dir} of present) {
      const base = {folder: path.relative(workspace, dir), name: extension.name, version: extension.version}
      const expectedDir = path.join(scratch, extension.name)
      await installer.install(extension, expectedDir)
      const expected = listTree(expectedDir)
      await rm(expectedDir, {recursive: true, force: true})
      let actual: TreeListing
      try {
        // Listed against the expected tree: only files that could still match are read.
        actual = listTree(dir, expected)
      } catch (error) {
        differences.push({
          ...base,
          problem: 'unreadable',
          reason: error instanceof TreeTooLarge ? error.message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message),
        })
        continue
      }
      const found = compareTrees(expected, actual)
      if (found.modified.length + found.missing.length + found.extra.length === 0) continue
      const list = (files: string[]) => (files.length > 0 ? files.slice(0, MAX_FILES_LISTED) : undefined)
      differences.push({...base, problem: 'modified', modified: list(found.modified), missing: list(found.missing), extra: list(found.extra)})
    }
  } finally {
    await rm(scratch, {recursive: true, force: true})
  }
  return sortByFolder(differences)
}

/** Extension folders the lock does not list (under the type it is locked as). Dot entries are the installer's own. */
async function unlockedFolders(workspace: string, extensions: PlannedExtension[]): Promise<InstalledDifference[]> {
  const locked = new Set(extensions.map((e) => `${e.type}s/${e.name}`))
  const found: InstalledDifference[] = []
  for (const type of EXTENSION_TYPES) {
    for (const entry of (await readdir(path.join(workspace, 'extensions', `${type}s`)).catch(() => [] as string[])).sort()) {
      if (entry.startsWith('.') || locked.has(`${type}s/${entry}`)) continue
      found.push({folder: path.join('extensions', `${type}s`, entry), name: entry, problem: 'not-locked'})
    }
  }
  return found
}

const sortByFolder = (list: InstalledDifference[]) => list.sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0))

function describe(d: InstalledDifference): string {
  const at = `  ${d.folder}${d.version ? ` (${d.name}@${d.version})` : ''}`
  if (d.problem === 'missing-folder') return `${at}: missing`
  if (d.problem === 'not-a-folder') return `${at}: ${d.reason} instead of a folder`
  if (d.problem === 'unreadable') return `${at}: cannot be read (${d.reason})`
  if (d.problem === 'not-locked') return `${at}: not in the lockfile`
  const lines = [`${at}: files differ from the locked content`]
  for (const [label, files] of [
    ['modified', d.modified],
    ['missing', d.missing],
    ['extra', d.extra],
  ] as const) {
    if (!files) continue
    lines.push(
      `    ${label}: ${files.slice(0, MAX_FILES_SHOWN).join(', ')}${files.length > MAX_FILES_SHOWN ? ` … and ${files.length - MAX_FILES_SHOWN} more` : ''}`,
    )
  }
  return lines.join('\n')
}
