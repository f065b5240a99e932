import {lstat, readdir, rm} from 'node:fs/promises'
import path from 'node:path'

import {BusyError} from '../errors.js'
import {ociSettingsFrom} from '../oci/settings.js'
import {holderIsDead, readLockHolder, withFileLock} from '../util/file-lock.js'
import {homePaths} from '../util/home.js'
import {processAlive} from '../util/process-info.js'
import {parseLockDraftName, parseTempName} from '../util/temp-name.js'
import {lockFilePath, takeoverGuardPath} from './lock/file-provider.js'
import {withProvider} from './lock/provider.js'
import {describeHolder, isExpired} from './lock/record.js'
import {providersToCheck} from './lock/settings.js'
import {type LockTargetOptions, openTarget} from './lock/target.js'

export interface CleanupItem {
  /** Relative to the workspace (or `etcd <key>`). */
  path: string
  kind: 'temp' | 'staging' | 'stale-lock' | 'expired-lock'
  bytes: number
  reason: string
}

export interface CleanupResult {
  workspace: string
  path: string
  dryRun: boolean
  removed: CleanupItem[]
  /** Leftovers deliberately kept, with why (a live process owns them, dep resolve repairs them). */
  skipped: Array<{path: string; reason: string}>
  bytes: number
}

const GROUPS = ['providers', 'taskservs', 'clusters']

/** Linux's upper bound for PIDs (/proc/sys/kernel/pid_max is at most 2^22). */
const PID_MAX = 4_194_304

async function sizeOf(file: string): Promise<number> {
  const info = await lstat(file).catch(() => undefined)
  if (!info) return 0
  if (!info.isDirectory()) return info.size
  let total = 0
  for (const entry of await readdir(file).catch(() => [] as string[])) total += await sizeOf(path.join(file, entry))
  return total
}

const list = (dir: string) => readdir(dir).catch(() => [] as string[])

/** Holder of a withFileLock lock file: live (here or on another host), dead (here), or none. */
async function fileLockHolder(file: string): Promise<{state: 'none' | 'live' | 'dead'; text?: string}> {
  const {holder, text} = await readLockHolder(file)
  if (text === undefined) return {state: 'none'}
  // Written in one step by link(), so garbage is not a lock in progress.
  if (!holder) return {state: 'dead', text: 'unreadable'}
  const dead = holderIsDead(holder)
  return {
    state: dead ? 'dead' : 'live',
    text: dead ? `pid ${holder.pid} (${holder.user ?? '?'}, since ${holder.since ?? '?'}) is gone` : `held by pid ${holder.pid} on ${holder.host}`,
  }
}

/**
 * The lock files whose drafts and moved-aside copies cleanup may remove: each lock, and the
 * guard (`FILE.guard`, util/file-lock.ts) under which a dead holder's lock is taken over.
 */
const WORKSPACE_LOCKS = new Set(['.dep-resolve.lock', '.dep-resolve.lock.guard', 'workspace.lock', 'workspace.lock.guard', 'workspace.lock.guard.guard'])

/**
 * Temp files named after the process writing them (util/temp-name.ts): renamed writes,
 * spools, and drafts or moved-aside copies of the workspace's lock files.
 * Returns the PID, or undefined when the name is not one of ours.
 */
function writerPid(entry: string): number | undefined {
  const lockDraft = parseLockDraftName(entry)
  const pid = parseTempName(entry)?.pid ?? (lockDraft && WORKSPACE_LOCKS.has(lockDraft.lock) ? lockDraft.pid : undefined)
  // A dated backup (provisioning.lock.20241121.bak) is not a temp file: PIDs stay below pid_max.
  return pid !== undefined && pid > 0 && pid <= PID_MAX ? pid : undefined
}

/**
 * `workspace cleanup`: removes what interrupted or finished runs left in a workspace: temp
 * files of killed writes, half-extracted/half-removed extension folders, lock files of dead
 * processes, and workspace locks whose TTL has passed. It never touches a live lock, the
 * lockfile, the config or an installed extension; leftovers of a running `dep resolve` are
 * kept (cleanup takes the same lock, without waiting).
 */
export async function cleanupWorkspace(options: LockTargetOptions & {dryRun?: boolean}): Promise<CleanupResult> {
  const {target, settings} = await openTarget(options)
  const ws = target.path
  const dryRun = Boolean(options.dryRun)
  const rel = (file: string) => path.relative(ws, file)
  const removed: CleanupItem[] = []
  const skipped: CleanupResult['skipped'] = []
  const drop = async (file: string, kind: CleanupItem['kind'], reason: string, remove = () => rm(file, {recursive: true, force: true})) => {
    const bytes = await sizeOf(file)
    if (!dryRun) await remove()
    removed.push({path: rel(file), kind, bytes, reason})
  }

  // Things only `dep resolve` creates, under config/.dep-resolve.lock.
  const resolveLock = path.join(ws, 'config', '.dep-resolve.lock')
  const resolveLeftovers = async () => {
    for (const dir of [path.join(ws, 'config'), path.join(ws, 'extensions')]) {
      for (const entry of await list(dir)) {
        const pid = writerPid(entry)
        if (pid === undefined || entry.startsWith('workspace.lock')) continue
        if (processAlive(pid)) skipped.push({path: rel(path.join(dir, entry)), reason: `pid ${pid} is still writing it`})
        else await drop(path.join(dir, entry), 'temp', `temp file of pid ${pid}, which is gone`)
      }
    }
    const roots = [ws, ...(await list(path.join(ws, 'infra'))).map((infra) => path.join(ws, 'infra', infra))]
    for (const root of roots) {
      for (const group of GROUPS) {
        const dir = path.join(root, 'extensions', group)
        for (const entry of await list(dir)) {
          const match = /^\.(.+)\.(extract|removing|old|generate)-[0-9A-Za-z]+$/.exec(entry)
          if (!match) continue
          const file = path.join(dir, entry)
          if (
            match[2] === 'old' &&
            !(await lstat(path.join(dir, match[1])).then(
              () => true,
              () => false,
            ))
          ) {
            skipped.push({path: rel(file), reason: `the only copy of ${match[1]} (an interrupted swap); "provisioning dep resolve" puts it back`})
            continue
          }
          if (match[2] === 'generate' && Date.now() - (await lstat(file)).mtimeMs < 60_000) {
            skipped.push({path: rel(file), reason: 'a "generate extension" may still be writing it'})
            continue
          }
          await drop(
            file,
            'staging',
            `${match[2] === 'old' ? 'previous version kept aside by' : 'staging folder of'} an interrupted ${match[2] === 'generate' ? 'generate' : 'install'}`,
          )
        }
      }
    }
  }

  // A guard left by a process killed while taking over a dead holder's lock (util/file-lock.ts).
  // The resolve lock's goes first: taking that lock below would replace it without a word.
  const dropDeadGuard = async (guardPath: string) => {
    const guard = await fileLockHolder(guardPath)
    if (guard.state === 'dead') await drop(guardPath, 'stale-lock', `guard of ${guard.text}`)
  }
  await dropDeadGuard(`${resolveLock}.guard`)
  const resolveHolder = await fileLockHolder(resolveLock)
  if (resolveHolder.state === 'live') {
    skipped.push({path: rel(resolveLock), reason: `dep resolve is running (${resolveHolder.text}); its temp and staging folders are kept`})
  } else {
    if (resolveHolder.state === 'dead')
      removed.push({path: rel(resolveLock), kind: 'stale-lock', bytes: await sizeOf(resolveLock), reason: `dep resolve lock of ${resolveHolder.text}`})
    if (dryRun) await resolveLeftovers()
    else {
      // Holding the resolve lock (a dead holder is taken over) keeps a starting dep resolve out.
      await withFileLock(resolveLock, {waitMs: 0, purpose: 'workspace cleanup'}, resolveLeftovers).catch((error: unknown) => {
        if (!(error instanceof BusyError)) throw error
        skipped.push({path: rel(resolveLock), reason: `dep resolve started meanwhile (${error.message}); its temp and staging folders are kept`})
      })
    }
  }

  // Workspace-lock leftovers: drafts of killed lockers, a guard left by a dead process.
  for (const entry of await list(path.join(ws, 'config'))) {
    if (!entry.startsWith('workspace.lock.')) continue
    const file = path.join(ws, 'config', entry)
    const pid = writerPid(entry)
    if (pid !== undefined) {
      if (processAlive(pid)) skipped.push({path: rel(file), reason: `pid ${pid} is still writing it`})
      else await drop(file, 'temp', `draft of pid ${pid}, which is gone`)
    }
  }
  for (const guardPath of [takeoverGuardPath(ws), `${takeoverGuardPath(ws)}.guard`]) await dropDeadGuard(guardPath)

  // Expired workspace locks (an etcd lease normally removes its key itself).
  for (const kind of providersToCheck(settings)) {
    await withProvider(kind, settings, async (provider) => {
      const current = await provider.read(target)
      if (!current?.record || !isExpired(current.record)) return
      const where = kind === 'file' ? lockFilePath(ws) : provider.location(target)
      const reason = `expired workspace lock of ${describeHolder(current.record)}`
      const bytes = kind === 'file' ? await sizeOf(where) : 0
      if (!dryRun && !(await provider.remove(target, current.token))) return
      removed.push({path: kind === 'file' ? rel(where) : where, kind: 'expired-lock', bytes, reason})
    }).catch((error: Error) => {
      if (kind !== 'etcd') throw error
      skipped.push({path: `etcd ${settings.etcd.prefix}/${target.name}`, reason: `not checked: ${error.message}`})
    })
  }

  // The per-user caches the workspace uses: packaging spools and cache writes of killed
  // pushes and pulls, and parse-cache writes (named after their PID, so a live process's
  // files are recognisable).
  // The cache folder every oci command uses (an empty oci.cache.dir means the default there too).
  const {cacheDir} = ociSettingsFrom(options.config)
  const cacheDirs = [
    path.join(cacheDir, 'tmp'),
    path.join(cacheDir, 'blobs', 'sha256'),
    // Where the config loader keeps parsed YAML (the home itself, whatever paths.base says).
    homePaths.parseCache(options.config.home),
  ]
  for (const dir of cacheDirs) {
    for (const entry of await list(dir)) {
      const pid = writerPid(entry)
      if (pid === undefined) continue
      const file = path.join(dir, entry)
      if (processAlive(pid)) skipped.push({path: file, reason: `pid ${pid} is still writing it`})
      else {
        const bytes = await sizeOf(file)
        if (!dryRun) await rm(file, {force: true})
        removed.push({path: file, kind: 'temp', bytes, reason: `cache temp file of pid ${pid}, which is gone`})
      }
    }
  }

  return {workspace: target.name, path: ws, dryRun, removed, skipped, bytes: removed.reduce((sum, item) => sum + item.bytes, 0)}
}
