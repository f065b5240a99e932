import type {InspectResult} from '../../lib/oci/ops/inspect.js'
import type {ListResult, SearchResult} from '../../lib/oci/ops/catalog.js'
import type {CopyCommandResult} from '../../lib/oci/ops/copy.js'
import type {OciConfigResult} from '../../lib/oci/ops/config.js'
import type {PullResult} from '../../lib/oci/ops/pull.js'
import type {PushResult} from '../../lib/oci/ops/push.js'
import type {TagResult} from '../../lib/oci/ops/tag.js'
import type {TagsResult} from '../../lib/oci/ops/tags.js'
import type {ReplacedVersion} from '../../lib/oci/ops/version-tag-guard.js'
import type {CopyEvent, CopyListeners} from '../../lib/oci/copy.js'
import type {Descriptor} from '../../lib/oci/media-types.js'
import type {ReportBytes} from '../progress.js'
import {keyValues, table} from './table.js'

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB']
  let value = bytes
  let unit = -1
  do {
    value /= 1024
    unit++
  } while (value >= 1024 && unit < units.length - 1)
  return `${value.toFixed(1)} ${units[unit]}`
}

export function describeEvent(event: CopyEvent): string {
  const short = event.descriptor.digest.slice(7, 19)
  const of = event.referrer ? ' (referrer)' : ''
  return event.kind === 'blob' ? `${event.action} blob ${short} (${formatBytes(event.descriptor.size)})${of}` : `manifest ${short} ${event.action}${of}`
}

/** A transfer's events as progress lines, and its large blobs' bytes as a meter. */
export function transferListeners(report: (line: string) => void, bytes: ReportBytes): CopyListeners {
  return {
    onEvent: (event) => report(describeEvent(event)),
    onBytes: (descriptor, sent) => bytes(`blob ${descriptor.digest.slice(7, 19)}`, sent, descriptor.size),
  }
}

/** What `--force` replaced, one line per version tag; empty when nothing was. */
function replacedLines(replaced: Array<ReplacedVersion | undefined>): string {
  return replaced
    .filter((r) => r !== undefined)
    .map((r) => `\nreplaced ${r.reference}: was ${r.previous} (--force, recorded in the audit log)`)
    .join('')
}

export function formatPush(result: PushResult): string {
  const blobs =
    result.blobs === undefined
      ? ''
      : ` (${result.transferred} blob(s) uploaded, ${result.skipped} already present${result.mounted ? `, ${result.mounted} mounted` : ''})`
  return `${result.dryRun ? 'would push' : 'pushed'} ${result.reference}\ndigest: ${result.digest}${blobs}${signatureLine(result)}${replacedLines([result.replaced])}`
}

function signatureLine({signature}: PushResult): string {
  if (!signature) return ''
  return `\nsigned: ${signature.keyFingerprint} (${signature.existing ? 'already signed by this key' : `referrer ${signature.referrer}`})`
}

export function formatBatchPush(result: {pushed: PushResult[]}): string {
  const uploaded = result.pushed.reduce((n, r) => n + (r.transferred ?? 0), 0)
  const lines = result.pushed.map(
    (r) => `${r.dryRun ? 'would push' : 'pushed'} ${r.reference}  ${r.digest}${r.signature ? `  signed by ${r.signature.keyFingerprint}` : ''}`,
  )
  return `${lines.join('\n')}\n${result.pushed.length} extension(s), ${uploaded} blob(s) uploaded${replacedLines(result.pushed.map((r) => r.replaced))}`
}

export function formatBatchPull(result: {pulled: PullResult[]}): string {
  return result.pulled.map((r) => `pulled ${r.reference} into ${r.output}${r.cached ? ' (from cache)' : ''}`).join('\n')
}

export function formatPull(result: PullResult): string {
  return `pulled ${result.reference} into ${result.output} (${result.files} file(s), ${formatBytes(result.bytes)}${result.cached ? ', from cache' : ''})\ndigest: ${result.digest}`
}

export function formatTags(result: TagsResult): string {
  if (result.tags.length === 0) return `${result.repository || result.name} has no tags on ${result.registry}`
  return table(
    ['artifact', 'version', 'reference'],
    result.tags.map((t) => [result.name, t.version ? t.tag : `${t.tag} (not semver)`, t.reference]),
  )
}

export function formatTag(result: TagResult): string {
  return `${result.tags.map((t) => `tagged ${t.reference}`).join('\n')}\ndigest: ${result.digest}${replacedLines(result.replaced ?? [])}`
}

export function formatInspect(result: InspectResult): string {
  const head = keyValues([
    ['reference', result.reference],
    ['digest', result.digest],
    ['size', `${result.size} B`],
    ['media type', result.mediaType],
    ['artifact type', result.artifactType],
    ['config', `${result.config?.mediaType} ${result.config?.digest} (${result.config?.size} B)`],
  ])
  const layers = table(
    ['layer', 'media type', 'size', 'title'],
    result.layers.map((l, i) => [String(i), l.mediaType, formatBytes(l.size), l.annotations?.['org.opencontainers.image.title']]),
  )
  const annotations = Object.entries(result.annotations)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n')
  const extension = result.extension ? `\nextension manifest:\n${JSON.stringify(result.extension, null, 2)}` : ''
  return `${head}\n\n${layers}\n\nannotations:\n${annotations || '  (none)'}\n\n${formatReferrers(result.referrers)}${extension}`
}

/** The referrers (signatures…) of an inspected artifact, each with its annotations. */
function formatReferrers(referrers: Descriptor[]): string {
  if (referrers.length === 0) return 'referrers: (none)'
  const rows = referrers.map((r) => [
    r.artifactType ?? '-',
    r.digest,
    formatBytes(r.size),
    Object.entries(r.annotations ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
  ])
  return `referrers:\n${table(['artifact type', 'digest', 'size', 'annotations'], rows)}`
}

export function formatList(result: ListResult): string {
  if (result.extensions.length === 0) return `no extensions in ${result.registry}/${result.namespace}`
  return table(
    ['name', 'latest', 'versions', 'repository'],
    result.extensions.map((e) => [e.name, latestCell(e), e.versions, e.repository]),
  )
}

export function formatSearch(result: SearchResult): string {
  if (result.matches.length === 0) {
    const where = result.repositories.map((p) => p.repository).join(', ') || 'no repository'
    const stale = result.fromCache ? ` (index from ${formatAge(result.indexAgeSeconds)} ago; pushed elsewhere since? run with --refresh)` : ''
    return `no extension matches "${result.term}" in ${where}${stale}`
  }
  return table(
    ['name', 'type', 'latest', 'repository', 'description'],
    result.matches.map((m) => [m.name, m.type ?? '-', latestCell(m), m.repository, m.description ?? '']),
  )
}

/** The latest column: a name with only pre-releases says so and how to see them. */
export function latestCell(entry: {latest?: string; onlyPrerelease?: string}): string {
  if (entry.latest) return entry.latest
  return entry.onlyPrerelease ? `- (pre-release ${entry.onlyPrerelease} only: --pre)` : '-'
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  return `${Math.round(seconds / 3600)} h`
}

/** How old each repository's part of the index is: a stderr note when search did not sync them all now. */
export function formatIndexAge(result: Pick<SearchResult, 'repositories'>): string {
  const parts = result.repositories.map((p) => {
    const age = p.ageSeconds === undefined ? 'no index' : p.refreshed ? 'synced now' : `synced ${formatAge(p.ageSeconds)} ago`
    const failed = p.error ? ` (sync failed: ${p.error})` : ''
    return `${p.repository} ${age}${failed}`
  })
  const missing = result.repositories.filter((p) => p.missing).map((p) => p.repository)
  const next = missing.length > 0 ? `; "provisioning repo sync ${missing.join(' ')}" builds what is missing` : '; --refresh syncs them now'
  return `index: ${parts.join(', ')}${next}`
}

export function formatCopy(result: CopyCommandResult): string {
  const stats = result.blobs === undefined ? '' : ` (${result.transferred} transferred, ${result.skipped} already present, ${result.mounted} mounted)`
  const referrers = !result.referrers ? '' : `\nreferrers: ${result.referrers} copied along (signatures and other attached artifacts)`
  return `copied ${result.source} -> ${result.destination}${stats}\ndigest: ${result.digest}${referrers}${replacedLines([result.replaced])}`
}

export function formatOciConfig(result: OciConfigResult): string {
  return keyValues([
    ['engine', `${result.engine} (${result.reason})`],
    ['registry', result.registry],
    ['namespace', result.namespace],
    ['transport', result.transport],
    ['proxy', result.proxy],
    ['credentials', result.credentials],
    ['concurrency', result.concurrency],
    ['timeout', `${result.timeoutSeconds}s idle, total deadline + size at ${result.minTransferRateKiB} KiB/s; ${result.retries} retries`],
    ['ca file', result.caFile],
    ['cache', result.cacheDir],
  ])
}
