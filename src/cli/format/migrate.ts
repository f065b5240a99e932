import type {MigrationResult} from '../../lib/workspace/migrate-to-oci.js'

export function formatMigration(result: MigrationResult): string {
  if (!result.source) return `${result.workspace} already uses an OCI source (${result.registry}/${result.namespace}); nothing to migrate`
  const lines = [
    result.dryRun
      ? `plan: publish ${result.publish.length} extension version(s) from ${result.source} to ${result.registry}/${result.namespace}`
      : `published ${result.publish.length} extension version(s) from ${result.source}`,
  ]
  for (const p of result.publish) {
    const outcome = p.digest ? ` ${p.digest.slice(0, 19)}${p.transferred === 0 ? ' (already there)' : ''}` : ''
    lines.push(`  ${p.name}@${p.version} -> ${p.reference}${outcome}`)
  }
  lines.push(
    `${result.dryRun ? 'would set' : 'set'} dependencies.extensions.source_type: oci (registry ${result.registry}, namespace ${result.namespace}, tls ${result.tlsEnabled ? 'on' : 'off'}) in ${result.configFile}`,
  )
  for (const r of result.rewrites) lines.push(`  ${r.at}: ${r.from} -> ${r.to}`)
  for (const m of result.missing) lines.push(`warning: ${m} is declared but not in the local source; "dep resolve" will fail on it`)
  if (result.backupFile) lines.push(`previous config kept as ${result.backupFile}`, 'next: "provisioning dep resolve" installs them from the registry')
  else if (result.dryRun) lines.push('nothing was changed (dry run)')
  return lines.join('\n')
}
