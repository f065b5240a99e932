import type {AuditListing} from '../../lib/audit/audit-log.js'
import {table} from './table.js'

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

export function formatAudit(listing: AuditListing): string {
  if (listing.records.length === 0) return `no audit records (${listing.file})`
  const rows = listing.records.map((r) => [
    r.time,
    `${r.user}@${r.host}`,
    r.command,
    clip(r.target ?? '', 60),
    r.result === 'ok' ? 'ok' : `error (exit ${r.exit}${r.error ? `, ${r.error}` : ''})`,
  ])
  const skipped = listing.skipped > 0 ? `\n${listing.skipped} unreadable line(s) skipped` : ''
  return `${table(['time', 'who', 'command', 'target', 'result'], rows)}${skipped}`
}
