import {appendFile, mkdir, readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {UsageError} from '../errors.js'
import {currentUser} from '../util/process-info.js'
import {redact} from '../util/redact.js'

/** One line of $PROVISIONING_HOME/audit.log. Never holds flag values: they may be secrets. */
export interface AuditRecord {
  time: string
  user: string
  host: string
  pid: number
  /** Where it ran: for commands that find their workspace from the current folder. */
  cwd: string
  command: string
  target?: string
  workspace?: string
  result: 'ok' | 'error'
  exit: number
  error?: string
  /** What a command wants kept beyond its target, e.g. the digests a `--force` replaced. Never secrets. */
  details?: Record<string, unknown>
}

export function auditLogPath(home: string): string {
  return path.join(home, 'audit.log')
}

/**
 * Appends one record as a single write to a file opened with O_APPEND: concurrent CLIs
 * interleave whole lines, never parts of lines (records are far below a page).
 */
export async function appendAudit(home: string, entry: Omit<AuditRecord, 'time' | 'user' | 'host' | 'pid' | 'cwd'>): Promise<void> {
  const record: AuditRecord = {time: new Date().toISOString(), user: currentUser(), host: os.hostname(), pid: process.pid, cwd: process.cwd(), ...entry}
  if (record.target !== undefined) record.target = redact(record.target)
  await mkdir(home, {recursive: true})
  await appendFile(auditLogPath(home), `${JSON.stringify(record)}\n`, {mode: 0o600})
}

const DURATION = /^(\d+)\s*(s|m|h|d|w)$/
const UNIT_MS: Record<string, number> = {s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3, w: 604_800e3}

/** `--since`: a duration back from now (`30m`, `2h`, `7d`) or an ISO date/time. */
export function parseSince(value: string, now = Date.now()): Date {
  const duration = DURATION.exec(value.trim())
  if (duration) return new Date(now - Number(duration[1]) * UNIT_MS[duration[2]])
  const date = new Date(value)
  if (Number.isNaN(date.getTime()))
    throw new UsageError(`--since ${value}: not a duration or a date`, {
      hint: 'use a duration such as 30m, 2h or 7d, or an ISO date such as 2026-11-21 or 2026-11-21T10:00:00Z',
    })
  return date
}

export interface AuditQuery {
  since?: Date
  command?: string
  limit?: number
}

export interface AuditListing {
  file: string
  records: AuditRecord[]
  /** Lines that are not valid records (e.g. a disk filled mid-write); skipped, counted. */
  skipped: number
}

/** Reads the log oldest first, filtered; a missing log is an empty one. */
export async function readAudit(home: string, query: AuditQuery = {}): Promise<AuditListing> {
  const file = auditLogPath(home)
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  let skipped = 0
  let records: AuditRecord[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const record = JSON.parse(line) as AuditRecord
      if (typeof record.time !== 'string' || typeof record.command !== 'string') throw new Error('not a record')
      records.push(record)
    } catch {
      skipped++
    }
  }
  if (query.since) {
    const since = query.since.getTime()
    records = records.filter((record) => Date.parse(record.time) >= since)
  }
  if (query.command) {
    const prefix = query.command
    records = records.filter((record) => record.command === prefix || record.command.startsWith(`${prefix} `))
  }
  if (query.limit !== undefined && query.limit >= 0) records = records.slice(Math.max(0, records.length - query.limit))
  return {file, records, skipped}
}
