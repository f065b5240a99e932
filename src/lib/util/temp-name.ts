import {randomBytes} from 'node:crypto'
import path from 'node:path'

/**
 * Names of the temp files our writers leave only when killed. Built and parsed here alone:
 * `workspace cleanup` and `dep resolve` find leftovers by parsing these names, so a writer
 * that built its own would have its leftovers silently kept forever. The writer's PID is in
 * the name, so a live writer's file is told from a dead one's.
 */

/** `.NAME.PID.HEX.tmp` next to `file`: written in full, then renamed over `file`. */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
}

/** `.spool-PID-HEX.tmp` in `dir`: content collected once and read back, never renamed. */
export function spoolPathIn(dir: string): string {
  return path.join(dir, `.spool-${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
}

/** `FILE.PID.HEX.draft` next to a lock file: its record written in full, then linked or renamed into place. */
export function lockDraftPathFor(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.draft`
}

/** `FILE.PID.HEX.stale`: a lock moved aside to be removed (util/file-lock.ts removeIfUnchanged). */
export function lockAsidePathFor(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`
}

export interface TempName {
  /** The file it becomes when renamed (tempPathFor); undefined for a spool. */
  target?: string
  pid: number
}

const RENAMED = /^\.(.+)\.(\d+)\.[0-9a-f]+\.tmp$/
const SPOOL = /^\.spool-(\d+)-[0-9a-f]+\.tmp$/

/** What a file name built above says, or undefined when it is not one of them. */
export function parseTempName(entry: string): TempName | undefined {
  const renamed = RENAMED.exec(entry)
  if (renamed) return {target: renamed[1], pid: Number(renamed[2])}
  const spool = SPOOL.exec(entry)
  return spool ? {pid: Number(spool[1])} : undefined
}

// Earlier versions named file-lock drafts `FILE.PID.RAND` (base 36, no suffix): still recognised.
const LOCK_DRAFT = /^(.+)\.(\d+)\.[0-9a-z]+(?:\.draft|\.stale)?$/

/**
 * The lock file and writer PID of a name built by lockDraftPathFor or lockAsidePathFor, or
 * undefined. The pattern alone is loose (any `NAME.DIGITS.WORD`): callers check the lock name.
 */
export function parseLockDraftName(entry: string): {lock: string; pid: number} | undefined {
  const draft = LOCK_DRAFT.exec(entry)
  return draft ? {lock: draft[1], pid: Number(draft[2])} : undefined
}
