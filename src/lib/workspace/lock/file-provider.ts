import {link, mkdir, open, readFile, rename, rm} from 'node:fs/promises'
import path from 'node:path'

import {withFileLock} from '../../util/file-lock.js'
import {lockDraftPathFor} from '../../util/temp-name.js'
import type {LockProvider, LockTarget} from './provider.js'
import {type LockRecord, type LockSnapshot, parseRecord} from './record.js'

export const lockFilePath = (workspacePath: string) => path.join(workspacePath, 'config', 'workspace.lock')

/** Serializes takeovers and removals of one lock file (creation needs no guard: link() is atomic). */
export const takeoverGuardPath = (workspacePath: string) => `${lockFilePath(workspacePath)}.guard`

/** A private, complete copy of the record next to the lock, to be linked or renamed into place. */
async function draft(file: string, record: LockRecord): Promise<string> {
  await mkdir(path.dirname(file), {recursive: true})
  const temp = lockDraftPathFor(file)
  const handle = await open(temp, 'wx', 0o644)
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return temp
}

/**
 * `<workspace>/config/workspace.lock`. The record is written to a draft first and hard-linked
 * into place, so the lock appears complete or not at all and link() fails with EEXIST for
 * every caller but one. Takeovers and removals re-read the file under a short guard lock and
 * act only if it is still the version the caller saw.
 */
export class FileLockProvider implements LockProvider {
  readonly kind = 'file' as const

  location(target: LockTarget): string {
    return lockFilePath(target.path)
  }

  async read(target: LockTarget): Promise<LockSnapshot | undefined> {
    let text: string
    try {
      text = await readFile(lockFilePath(target.path), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    return parseRecord(text, text)
  }

  async create(target: LockTarget, record: LockRecord): Promise<{created: true} | {created: false; current?: LockSnapshot}> {
    const file = lockFilePath(target.path)
    const temp = await draft(file, record)
    try {
      await link(temp, file)
      return {created: true}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      return {created: false, current: await this.read(target)}
    } finally {
      await rm(temp, {force: true})
    }
  }

  async replace(target: LockTarget, token: string, record: LockRecord): Promise<boolean> {
    return this.guarded(target, token, async (file) => {
      const temp = await draft(file, record)
      try {
        await rename(temp, file)
      } catch (error) {
        await rm(temp, {force: true})
        throw error
      }
    })
  }

  async remove(target: LockTarget, token: string): Promise<boolean> {
    return this.guarded(target, token, (file) => rm(file, {force: true}))
  }

  async close(): Promise<void> {}

  private async guarded(target: LockTarget, token: string, change: (file: string) => Promise<void>): Promise<boolean> {
    const file = lockFilePath(target.path)
    return withFileLock(takeoverGuardPath(target.path), {waitMs: 10_000, purpose: `workspace lock change in ${target.path}`}, async () => {
      const current = await readFile(file, 'utf8').catch(() => undefined)
      if (current !== token) return false
      await change(file)
      return true
    })
  }
}
