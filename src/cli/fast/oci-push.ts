import {batchDirectories, pushExtension, pushExtensions, type PushResult} from '../../lib/oci/ops/push.js'
import {auditTargetOf} from '../audit-run.js'
import type {FastPath} from '../fast-path.js'
import {formatBatchPush, formatPush, transferListeners} from '../format/oci.js'
import {formatPackageWarning} from '../format/package.js'
import {printable} from '../printable.js'
import {withProgress} from '../progress.js'
import {defaultSession, printText, runAsCommand} from './session.js'
import {writeStdoutJson} from './stdout.js'

type OciPushPath = Extract<FastPath, {command: 'oci push'}>

/** The bundle's entry (fast-path.ts FAST_PATH_BUNDLES). */
export async function run(fast: FastPath): Promise<boolean> {
  if (fast.command !== 'oci push') return false
  await ociPush(fast)
  return true
}

/**
 * `oci push DIR... [--json] [-q] [--dry-run] [--force]` as commands/oci/push.ts runs it without
 * terminal progress: the same library calls, output, warnings, errors and audit line.
 */
async function ociPush(fast: OciPushPath): Promise<void> {
  let replaced: NonNullable<PushResult['replaced']>[] = []
  const warn = (dir: string, warning: Parameters<typeof formatPackageWarning>[1]) => {
    if (!fast.quiet) process.stderr.write(`${printable(`warning: ${formatPackageWarning(dir, warning)}`)}\n`)
  }
  const audit = () => ({command: 'oci push', target: auditTargetOf(fast.positionals), details: replaced.length > 0 ? {replaced} : undefined})
  await runAsCommand({json: fast.json, audit}, async () => {
    const common = {
      config: defaultSession().config,
      dryRun: fast.dryRun,
      force: fast.force,
      insecure: undefined,
      concurrency: undefined,
      registry: undefined,
      namespace: undefined,
      signing: {sign: false, keyFile: undefined, passphrase: async () => (await import('../passphrase.js')).signingPassphrase({stdin: false})},
    }
    const [dir, name, version] = fast.positionals
    const dirs = await batchDirectories(fast.positionals, process.cwd())
    if (dirs) {
      const title = `push ${dirs.length} extensions`
      const result = await withProgress({interactive: false, verbose: false, title}, (report, bytes) =>
        pushExtensions({...common, dirs, ...transferListeners(report, bytes)}),
      )
      for (const [i, pushed] of result.pushed.entries()) for (const warning of pushed.warnings) warn(dirs[i], warning)
      replaced = result.pushed.flatMap((p) => (p.replaced ? [p.replaced] : []))
      if (fast.json) writeStdoutJson(result)
      else printText(await formatBatchPush(result))
    } else {
      const title = `push ${name ?? dir}`
      const result = await withProgress({interactive: false, verbose: false, title}, (report, bytes) =>
        pushExtension({...common, ...transferListeners(report, bytes), dir, name, version}),
      )
      replaced = result.replaced ? [result.replaced] : []
      for (const warning of result.warnings) warn(dir, warning)
      if (fast.json) writeStdoutJson(result)
      else printText(await formatPush(result))
    }
  })
}
