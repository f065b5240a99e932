import type {RepoSyncResult} from '../../lib/oci/ops/repo-sync.js'
import {table} from './table.js'

export function formatRepoSync(result: RepoSyncResult): string {
  if (result.repositories.length === 0) return 'no repositories to sync (declare one with "provisioning repo add NAME URL")'
  const rows = table(
    ['repository', 'extensions', 'versions', 'added', 'removed', 'changed', 'requests', 'time'],
    result.repositories.map((r) =>
      r.ok
        ? [
            r.repository,
            r.extensions,
            r.versions,
            r.added,
            r.removed,
            r.changed,
            r.alreadyFresh ? '0 (synced meanwhile)' : r.requests.listings + r.requests.resolves + r.requests.manifests + r.requests.configs,
            `${(r.durationMs / 1000).toFixed(1)}s`,
          ]
        : [r.repository, 'failed', '', '', '', '', '', `${(r.durationMs / 1000).toFixed(1)}s`],
    ),
  )
  const problems = result.repositories.flatMap((r) =>
    r.ok
      ? [...r.truncated.map((t) => `${r.repository}: ${t}`), ...r.skipped.map((t) => `${r.repository}: skipped ${t}`)]
      : [`${r.repository} (${r.url}): ${r.error.message}${r.error.hint ? `\n  hint: ${r.error.hint}` : ''}`],
  )
  return problems.length > 0 ? `${rows}\n\n${problems.join('\n')}` : rows
}
