import {lstat, realpath, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'

import {IntegrityError, ValidationError} from '../errors.js'
import {EXTENSION_TYPES, type ExtensionType, isExtensionName, isExtensionType} from '../extension/names.js'
import {readUntrusted} from '../util/untrusted-file.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {parseTempName} from '../util/temp-name.js'
import {treeFingerprint} from './installed-tree.js'
import type {PlannedExtension} from './plan.js'

/** What `dep resolve` installed, so it only ever removes what it put there. */
interface InstalledState {
  extensions: Record<string, InstalledEntry>
}

interface InstalledEntry {
  type: ExtensionType
  version: string
  digest: string
  /** treeFingerprint of the folder right after it was installed (absent for older installs). */
  fingerprint?: string
}

const FINGERPRINT = /^sha256:[0-9a-f]{64}$/

export interface InstallReport {
  installed: string[]
  unchanged: string[]
  removed: string[]
  /** Unchanged by the plan, but their folder was touched since it was installed (cheap check). */
  modified: string[]
}

export interface InstallChecks {
  /** A touched folder fails the run (--frozen) instead of being reported as a warning. */
  failOnModified?: boolean
  /** Reinstalled whatever the state says (`dep resolve --force`: their content differs). */
  reinstall?: ReadonlySet<string>
  /** Content checked against the lock just now: their fingerprint may be recorded. */
  verified?: ReadonlySet<string>
  /**
   * Of the extensions whose fingerprint changed, the names whose content really differs. A
   * copied or restored workspace has new inodes and change times but the same files: those
   * are checked once by content and fingerprinted again instead of being reported.
   */
  confirmModified?: (extensions: PlannedExtension[]) => Promise<ReadonlySet<string>>
}

export const installedStateFile = (workspace: string) => path.join(workspace, 'extensions', '.installed.json')

/**
 * The one place an install, removal or staging path is made: `<ws>/extensions/{type}s/{name}`
 * from a checked type and name, and checked again to stay exactly there (defence in depth:
 * every caller already parsed both at the boundary it read them from).
 */
export function extensionDir(workspace: string, type: ExtensionType, name: string): string {
  const root = path.resolve(workspace, 'extensions')
  const dir = path.join(root, `${type}s`, name)
  if (!isExtensionType(type) || !isExtensionName(name) || path.relative(root, dir) !== path.join(`${type}s`, name)) {
    throw new IntegrityError(`refusing to use ${JSON.stringify(`${type}s/${name}`).slice(0, 120)} as an extension folder: it is not a folder of ${root}`, {
      hint: 'the name or type came from tampered metadata; nothing was changed',
      details: {type, name},
    })
  }
  return dir
}

/**
 * The state file is the workspace's own, but it is a file anyone can edit: entries whose
 * name or type could not have been written by an install are dropped (and reported), never
 * turned into a folder to remove.
 */
async function readState(workspace: string, onWarning?: (line: string) => void): Promise<InstalledState> {
  const file = installedStateFile(workspace)
  // No link followed, no FIFO waited on, no file larger than any install writes.
  const read = await readUntrusted(file, {max: MAX_STATE_BYTES})
  // A prototype-free table: an entry named "constructor" or "__proto__" is just a name.
  const state: InstalledState = {extensions: Object.create(null) as InstalledState['extensions']}
  if (read.kind !== 'data') {
    if (read.kind === 'unusable') onWarning?.(`${file}: ignored (${read.reason}); extensions are reinstalled and nothing is removed`)
    return state
  }
  let data: {extensions?: unknown}
  try {
    data = JSON.parse(read.data.toString('utf8')) as {extensions?: unknown}
  } catch {
    return state
  }
  const raw =
    typeof data?.extensions === 'object' && data.extensions !== null && !Array.isArray(data.extensions) ? (data.extensions as Record<string, unknown>) : {}
  for (const [name, value] of Object.entries(raw)) {
    const entry = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
    if (isExtensionName(name) && isExtensionType(entry.type) && typeof entry.version === 'string' && typeof entry.digest === 'string') {
      state.extensions[name] = {
        type: entry.type,
        version: entry.version,
        digest: entry.digest,
        ...(typeof entry.fingerprint === 'string' && FINGERPRINT.test(entry.fingerprint) ? {fingerprint: entry.fingerprint} : {}),
      }
    } else {
      onWarning?.(`${file}: ignored the entry ${JSON.stringify(name).slice(0, 80)}, which no install could have written (nothing was removed for it)`)
    }
  }
  return state
}

/** Far above what any install writes (~150 bytes an extension). */
const MAX_STATE_BYTES = 32 * 1024 * 1024

/**
 * `extensions/` and its group folders must be real folders of this workspace: a committed
 * symbolic link (`extensions/taskservs -> ../../victim`) would turn every install and removal
 * into one outside it, whatever the names are. Checked once per run, before anything changes.
 */
export async function assertExtensionFolders(workspace: string): Promise<void> {
  const root = path.join(await realpath(workspace), 'extensions')
  for (const rel of ['', ...EXTENSION_TYPES.map((t) => `${t}s`)]) {
    const dir = path.join(workspace, 'extensions', rel)
    const info = await lstat(dir).catch(() => undefined)
    if (!info) continue
    const real = await realpath(dir).catch(() => undefined)
    if (info.isSymbolicLink() || !info.isDirectory() || real !== path.join(root, rel)) {
      throw new IntegrityError(
        `${dir} is ${info.isSymbolicLink() ? 'a symbolic link' : info.isDirectory() ? 'not inside the workspace' : 'not a folder'}: refusing to install or remove extensions through it`,
        {
          hint: `make ${path.join('extensions', rel)} a plain folder of the workspace (a link there would let installs and removals reach outside it); nothing was changed`,
          details: {path: dir},
        },
      )
    }
  }
}

/** The digest recorded while an extension is being (re)installed: never equal to a real one. */
const PENDING = 'pending'

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  )

/**
 * Brings `extensions/{type}s/{name}/` in line with the plan. Each extension is unpacked
 * into a temp folder and renamed into place (see extractArchive), and the state file is
 * rewritten atomically after each step, so a run killed at any moment leaves every
 * extension fully old or fully new, and the next run finishes the job.
 */
export interface Installer {
  /** Fetches what the extensions to install need (in parallel, bounded) before anything changes. */
  prefetch(extensions: PlannedExtension[]): Promise<void>
  /** Unpacks one extension into `target` atomically. */
  install(extension: PlannedExtension, target: string): Promise<void>
}

export async function installPlan(
  workspace: string,
  plan: PlannedExtension[],
  installer: Installer,
  onProgress?: (line: string) => void,
  onWarning?: (line: string) => void,
  checks: InstallChecks = {},
): Promise<InstallReport> {
  await assertExtensionFolders(workspace)
  await removeLeftovers(workspace)
  const state = await readState(workspace, onWarning)
  const report: InstallReport = {installed: [], unchanged: [], removed: [], modified: []}
  const save = () => writeFileAtomic(installedStateFile(workspace), `${JSON.stringify(state, null, 2)}\n`)

  const pending: PlannedExtension[] = []
  let stamped = false
  for (const extension of plan) {
    const current = state.extensions[extension.name]
    const target = extensionDir(workspace, extension.type, extension.name)
    const same = current?.digest === extension.digest && current.type === extension.type && (await exists(path.join(target, 'manifest.yaml')))
    if (!same || checks.reinstall?.has(extension.name)) {
      pending.push(extension)
      continue
    }
    report.unchanged.push(extension.name)
    if (checks.verified?.has(extension.name)) {
      current.fingerprint = treeFingerprint(target)
      stamped = true
    } else if (current.fingerprint && treeFingerprint(target) !== current.fingerprint) report.modified.push(extension.name)
  }
  if (report.modified.length > 0 && checks.confirmModified) {
    const touched = plan.filter((e) => report.modified.includes(e.name))
    const differing = await checks.confirmModified(touched)
    for (const extension of touched) {
      if (differing.has(extension.name)) continue
      state.extensions[extension.name].fingerprint = treeFingerprint(extensionDir(workspace, extension.type, extension.name))
      stamped = true
    }
    report.modified = report.modified.filter((name) => differing.has(name))
  }
  if (report.modified.length > 0) {
    const folders = report.modified.map((name) => path.relative(workspace, extensionDir(workspace, state.extensions[name].type, name)))
    const message = `${folders.join(', ')} ${folders.length === 1 ? 'was' : 'were'} changed since ${folders.length === 1 ? 'it was' : 'they were'} installed`
    const hint = 'run "provisioning dep verify" to list what differs from the lock, and "provisioning dep resolve --force" to reinstall it'
    if (checks.failOnModified) throw new ValidationError(message, {hint, details: {modified: report.modified}})
    onWarning?.(`${message}: ${hint}`)
  }
  if (stamped) await save()
  await installer.prefetch(pending)

  for (const extension of pending) {
    const target = extensionDir(workspace, extension.type, extension.name)
    const current = state.extensions[extension.name]
    onProgress?.(`installing ${extension.name}@${extension.version}`)
    // Say "in flight" before touching the folder: a run killed after the swap but before the
    // state is saved must not leave the old digest recorded over the new files (a later run
    // asking for the old version would then keep the new files as "unchanged").
    state.extensions[extension.name] = {type: current?.type ?? extension.type, version: extension.version, digest: PENDING}
    await save()
    // A previous install under another type folder is removed once the new one is in place.
    await installer.install(extension, target)
    if (current && current.type !== extension.type) await removeDir(extensionDir(workspace, current.type, extension.name))
    const fingerprint = treeFingerprint(target)
    state.extensions[extension.name] = {type: extension.type, version: extension.version, digest: extension.digest, ...(fingerprint ? {fingerprint} : {})}
    await save()
    report.installed.push(extension.name)
  }

  const wanted = new Set(plan.map((e) => e.name))
  for (const [name, installed] of Object.entries(state.extensions)) {
    if (wanted.has(name)) continue
    onProgress?.(`removing ${name}@${installed.version}`)
    await removeDir(extensionDir(workspace, installed.type, name))
    delete state.extensions[name]
    await save()
    report.removed.push(name)
  }
  return report
}

/**
 * Repairs what a killed run left: half-extracted and half-removed folders go; an old
 * version moved aside for a swap that never finished is put back (fully old, not missing).
 */
async function removeLeftovers(workspace: string): Promise<void> {
  const {readdir} = await import('node:fs/promises')
  const state = path.basename(installedStateFile(workspace))
  for (const entry of await readdir(path.join(workspace, 'extensions')).catch(() => [] as string[])) {
    // A state-file write that was killed left its temp file (written, never renamed).
    if (parseTempName(entry)?.target === state) await rm(path.join(workspace, 'extensions', entry), {force: true})
  }
  for (const group of ['providers', 'taskservs', 'clusters']) {
    const dir = path.join(workspace, 'extensions', group)
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      const aside = /^\.(.+)\.old-[0-9a-f]+$/.exec(entry)
      if (aside && !(await exists(path.join(dir, aside[1])))) await rename(path.join(dir, entry), path.join(dir, aside[1]))
      else if (/^\..+\.(extract-|removing-|old-)/.test(entry)) await rm(path.join(dir, entry), {recursive: true, force: true})
    }
  }
}

/** Renames the folder aside first, so it disappears at once even if deleting it is interrupted. */
async function removeDir(dir: string): Promise<void> {
  if (!(await exists(dir))) return
  const trash = path.join(path.dirname(dir), `.${path.basename(dir)}.removing-${process.pid}`)
  await rename(dir, trash)
  await rm(trash, {recursive: true, force: true})
}
