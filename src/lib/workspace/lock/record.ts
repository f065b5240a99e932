import os from 'node:os'

import {BusyError} from '../../errors.js'
import type {LockProviderKind} from './settings.js'

/** What a workspace lock records, in the lock file or the etcd value (JSON). */
export interface LockRecord {
  workspace: string
  owner: string
  host: string
  pid: number
  /** ISO time the lock was taken. */
  since: string
  reason?: string
  provider: LockProviderKind
  /** ISO time after which the lock is stale; absent: held until unlocked. */
  expires_at?: string
}

/**
 * A lock as read back: `record` when it parses; `problem` when it does not (garbage in the
 * file). `token` identifies exactly this version of the lock (the raw text, or the etcd mod
 * revision), so a removal or takeover only ever replaces the lock that was inspected.
 */
export interface LockSnapshot {
  record?: LockRecord
  problem?: string
  token: string
}

export function newRecord(
  fields: {workspace: string; owner: string; provider: LockProviderKind; reason?: string; ttlSeconds?: number},
  now = new Date(),
): LockRecord {
  return {
    workspace: fields.workspace,
    owner: fields.owner,
    host: os.hostname(),
    pid: process.pid,
    since: now.toISOString(),
    ...(fields.reason ? {reason: fields.reason} : {}),
    provider: fields.provider,
    ...(fields.ttlSeconds ? {expires_at: new Date(now.getTime() + fields.ttlSeconds * 1000).toISOString()} : {}),
  }
}

/** Parses a stored lock; anything that is not a record with an owner is reported, never thrown. */
export function parseRecord(text: string, token: string): LockSnapshot {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    return {token, problem: `not valid JSON (${(error as Error).message})`}
  }
  const record = data as Partial<LockRecord> | null
  if (!record || typeof record !== 'object' || typeof record.owner !== 'string' || record.owner === '') {
    return {token, problem: 'no "owner" recorded'}
  }
  return {token, record: record as LockRecord}
}

export function isExpired(record: LockRecord, now = Date.now()): boolean {
  if (!record.expires_at) return false
  const at = Date.parse(record.expires_at)
  return Number.isFinite(at) && at <= now
}

/** `alice (host build-7, pid 4242, since 2024-…, reason "release")` */
export function describeHolder(record: LockRecord): string {
  const parts = [`host ${record.host ?? '?'}`, `pid ${record.pid ?? '?'}`, `since ${record.since ?? '?'}`]
  if (record.expires_at) parts.push(`expires ${record.expires_at}`)
  if (record.reason) parts.push(`reason "${record.reason}"`)
  return `${record.owner} (${parts.join(', ')})`
}

/** Exit 9: the workspace is locked by someone else. */
export function heldByOther(workspace: string, record: LockRecord, doing: string, hint: string): BusyError {
  return new BusyError(`workspace ${workspace} is locked by ${describeHolder(record)}; cannot ${doing}`, {
    hint,
    details: {workspace, holder: record},
  })
}
