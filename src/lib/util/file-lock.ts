import {link, mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {BusyError} from '../errors.js'
import {currentUser, processAlive} from './process-info.js'
import {lockAsidePathFor, lockDraftPathFor} from './temp-name.js'

export interface LockHolder {
  pid: number
  host: string
  user: string
  since: string
  purpose?: string
}

/** A holder on this host whose process is gone (another host's holder cannot be checked: it counts as live). */
export function holderIsDead(holder: LockHolder): boolean {
  return holder.host === os.hostname() && typeof holder.pid === 'number' && !processAlive(holder.pid)
}

/** The holder recorded in a lock file, with its exact text (takeovers compare it). */
export async function readLockHolder(file: string): Promise<{holder?: LockHolder; text?: string}> {
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return {}
  try {
    return {holder: JSON.parse(text) as LockHolder, text}
  } catch {
    return {text}
  }
}

/**
 * Removes `file` only if it still holds `staleText`. A plain rm would race: two processes
 * that both saw the dead holder could each remove it, the second one removing the lock the
 * first had just taken. Moving it aside first is atomic; if what moved is not the stale lock,
 * it goes back (link() never overwrites a lock taken meanwhile).
 */
async function removeIfUnchanged(file: string, staleText: string): Promise<void> {
  const aside = lockAsidePathFor(file)
  try {
    await rename(file, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined)
  if (moved !== staleText) await link(aside, file).catch(() => undefined)
  await rm(aside, {force: true})
}

/**
 * Runs `fn` while holding an exclusive lock file (created with O_EXCL, so exactly one
 * process wins). A lock left by a dead process on this host is taken over; a live
 * holder is waited for up to `waitMs`, then a BusyError (exit 9) names it.
 */
export async function withFileLock<T>(file: string, options: {waitMs: number; purpose?: string}, fn: () => Promise<T>): Promise<T> {
  const me = await acquire(file, options, true)
  try {
    return await fn()
  } finally {
    // Only our own lock: never one that another process took over meanwhile.
    await removeIfUnchanged(file, JSON.stringify(me))
  }
}

/**
 * Takes the lock file (O_EXCL through a hard link), waiting up to `waitMs`. A dead holder's
 * lock is removed under a guard lock (`FILE.guard`), after reading it again there: two
 * processes that both saw the same dead holder would otherwise race, the second moving aside
 * (for an instant) the lock the first had just taken, long enough for a third to take it too.
 * The guard's own dead holder is removed without a guard of its own (a guard is held for
 * microseconds, so two takers of a dead guard are as unlikely as it gets).
 */
async function acquire(file: string, options: {waitMs: number; purpose?: string}, guarded: boolean): Promise<LockHolder> {
  await mkdir(path.dirname(file), {recursive: true})
  const me: LockHolder = {pid: process.pid, host: os.hostname(), user: currentUser(), since: new Date().toISOString(), purpose: options.purpose}
  const deadline = Date.now() + options.waitMs
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    // The holder is written to a private file first and hard-linked into place: the lock
    // appears with its content in one step, so a kill can never leave an empty lock that
    // nobody can identify (link fails with EEXIST while someone holds it).
    const draft = lockDraftPathFor(file)
    await writeFile(draft, JSON.stringify(me), {mode: 0o644})
    try {
      await link(draft, file)
      return me
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      await rm(draft, {force: true})
    }
    const {holder, text} = await readLockHolder(file)
    if (holder && text !== undefined && holderIsDead(holder)) {
      if (guarded) await removeStaleGuarded(file, text, Math.max(deadline - Date.now(), 1_000))
      else await removeIfUnchanged(file, text)
      continue
    }
    if (Date.now() >= deadline) {
      const who = holder
        ? `pid ${holder.pid} (${holder.user}@${holder.host}, since ${holder.since}${holder.purpose ? `, ${holder.purpose}` : ''})`
        : 'another process'
      throw new BusyError(`${file} is locked by ${who}`, {
        hint:
          holder?.host === me.host
            ? 'wait for that process to finish, then try again'
            : `wait, or remove ${file} if ${holder?.host ?? 'that host'} no longer runs it`,
        details: {lock: file, holder},
      })
    }
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}

/** Removes the dead holder's lock under the guard, only if it still holds `staleText` there. */
async function removeStaleGuarded(file: string, staleText: string, waitMs: number): Promise<void> {
  const guard = `${file}.guard`
  const me = await acquire(guard, {waitMs, purpose: `taking over ${path.basename(file)}`}, false)
  try {
    if ((await readLockHolder(file)).text === staleText) await removeIfUnchanged(file, staleText)
  } finally {
    await removeIfUnchanged(guard, JSON.stringify(me))
  }
}
