import path from 'node:path'

import {OciStores} from '../oci/stores.js'
import {ConfigError, ProvisioningError} from '../errors.js'
import {TrustGate} from '../signing/enforce.js'
import {withFileLock} from '../util/file-lock.js'
import {processAlive} from '../util/process-info.js'
import {parseLockDraftName, parseTempName} from '../util/temp-name.js'
import {assertWorkspaceWritable} from '../workspace/lock/status.js'
import {type WorkspaceDependenciesOptions, openWorkspaceDependencies} from './workspace-dependencies.js'
import {assertExtensionFolders, type Installer, type InstallChecks, installPlan, type InstallReport} from './install.js'
import type {LockChange} from './lock-changes.js'
import {verifyPlanSigners} from './lock-signers.js'
import {readLockfile, serializeLockfile, writeLockfile} from './lockfile.js'
import {repositoryOfEntry} from './repository-binding.js'
import {ociInstaller} from './oci-installer.js'
import {type PlannedExtension, planResolution, type ResolutionPlan} from './plan.js'
import {installedDifferences} from './verify-install.js'

export interface DepResolveOptions extends WorkspaceDependenciesOptions {
  frozen?: boolean
  offline?: boolean
  dryRun?: boolean
  /** Check every installed extension's files against the locked content and reinstall those that differ. */
  force?: boolean
  concurrency?: number
  /** `dep update`: re-resolve allowing newer versions of all (`true`) or the named extensions. */
  update?: true | string[]
  /** `dep update NAME --accept-republished`: these names may take the content their locked version now names. */
  acceptRepublished?: readonly string[]
  onProgress?: (line: string) => void
  /** Sees the plan before anything is installed (`dep update` explains what it changed and kept). */
  onPlan?: (plan: ResolutionPlan) => void
}

export interface DepResolveResult extends InstallReport {
  workspace: string
  lockfile: string
  /** The lock matched the declaration and was followed without asking any registry. */
  followedLock: boolean
  lockWritten: boolean
  dryRun: boolean
  /** Things a person should know (e.g. a damaged lockfile that was re-resolved and rewritten). */
  warnings: string[]
  /** `repository` (and `alsoIn`, the other repositories holding that version) when the workspace resolves from repositories. */
  order: Array<{name: string; type: string; version: string; repository?: string; alsoIn?: string[]; reference: string; digest: string; signer?: string}>
  /** Per extension against the lock the run started from: kept, upgraded, downgraded, added, removed, and why. */
  changes: LockChange[]
}

export {lockfilePath} from './lockfile.js'

/**
 * `dep resolve` (SPEC §9.3): resolve or follow the lock, pull what is missing (bounded, in
 * parallel, verified), install atomically, remove what is no longer required, then write
 * the lock. One run at a time per workspace: a second waits, then exits 9 naming the holder.
 */
export async function resolveWorkspace(options: DepResolveOptions): Promise<DepResolveResult> {
  // Loaded once for both readers (module load passes a fresh load each time it is called).
  const loaded = options.config()
  const {
    workspace,
    workspaceName,
    values,
    declaration,
    settings,
    lockfile,
    lockTimeoutSeconds: waitSeconds,
  } = await openWorkspaceDependencies({
    ...options,
    config: () => loaded,
  })
  const trust = TrustGate.fromConfig(await loaded, settings.cacheDir, Boolean(options.offline))
  if (!options.dryRun)
    await assertWorkspaceWritable({name: workspaceName, path: workspace}, values, options.update ? 'update dependencies' : 'resolve dependencies')

  const run = async (): Promise<DepResolveResult> => {
    const warnings: string[] = []
    // A mirror that served other bytes than its digest says is worth a warning (the registry served instead).
    const oci = new OciStores(settings, {onWarning: (message) => warnings.push(message)})
    try {
      const previousLock = await readLockOrRecover(lockfile, options, warnings)
      const plan = await planResolution(oci, {
        declaration,
        lock: previousLock,
        frozen: options.frozen,
        offline: options.offline,
        update: options.update,
        acceptRepublished: options.acceptRepublished,
        concurrency: settings.concurrency,
        lockfilePath: lockfile,
      })
      options.onPlan?.(plan)
      // Every artifact's signature is checked before the first install (exit 8 leaves the workspace as it was).
      const signed = await verifyPlanSigners(oci, trust, plan, previousLock, {
        frozen: options.frozen,
        concurrency: settings.concurrency,
        lockfilePath: lockfile,
      })
      for (const warning of [...plan.warnings, ...signed.warnings]) {
        warnings.push(warning)
        options.onProgress?.(warning)
      }
      const signers = new Map(signed.lock.extensions.map((e) => [e.name, e.signer]))
      const order = plan.extensions.map((extension) => {
        const {name, type, version, reference, digest} = extension
        const signer = signers.get(name)
        const repository = repositoryOfEntry(declaration, extension)
        const alsoIn = plan.catalog?.alsoIn?.(name, version) ?? []
        return {
          name,
          type,
          version,
          ...(repository ? {repository} : {}),
          ...(alsoIn.length > 0 ? {alsoIn} : {}),
          reference,
          digest,
          ...(signer ? {signer} : {}),
        }
      })
      const base = {workspace, lockfile, followedLock: plan.followedLock, dryRun: Boolean(options.dryRun), warnings, order, changes: plan.changes}
      if (options.dryRun) return {...base, lockWritten: false, installed: [], unchanged: [], removed: [], modified: []}
      const installer = ociInstaller(oci, settings.concurrency, Boolean(options.offline))
      const tmpDir = path.join(oci.cache.dir, 'tmp')
      const checks: InstallChecks = options.force
        ? await forcedChecks(workspace, plan.extensions, installer, tmpDir, options.onProgress)
        : {
            failOnModified: options.frozen,
            confirmModified: (touched) => differingFromCache(workspace, touched, ociInstaller(oci, settings.concurrency, true), tmpDir),
          }
      const report = await installPlan(workspace, plan.extensions, installer, options.onProgress, (warning) => warnings.push(warning), checks)
      // A followed lock is the file itself: nothing to compare or write, unless a signer was
      // recorded or changed. --frozen never writes, even when the (current) lock is merely
      // formatted differently.
      let lockWritten = false
      if ((!plan.followedLock || signed.changed) && !options.frozen) {
        const {readFile} = await import('node:fs/promises')
        const previous = await readFile(lockfile, 'utf8').catch(() => undefined)
        lockWritten = previous !== (await serializeLockfile(signed.lock))
        if (lockWritten) await writeLockfile(lockfile, signed.lock)
      }
      return {...base, ...report, lockWritten}
    } finally {
      await oci.close()
    }
  }
  // --frozen writes no lock but does install, so it serializes with other runs like a plain one.
  if (options.dryRun) return run()
  return withFileLock(path.join(workspace, 'config', RESOLVE_LOCK), {waitMs: waitSeconds * 1000, purpose: `dep resolve in ${workspace}`}, run)
}

/**
 * The lockfile, or undefined when there is none. A damaged one (edited by hand, merge
 * conflict markers) stops --frozen and --dry-run (exit 3, the file untouched); a plain run
 * re-resolves from the declaration and rewrites it, since that is the advertised way out.
 */
async function readLockOrRecover(file: string, options: DepResolveOptions, warnings: string[]) {
  // Temp files of a lockfile write that was killed (we hold the workspace lock, so they are stale).
  if (!options.frozen && !options.dryRun) await removeStaleTemps(path.dirname(file), path.basename(file))
  try {
    return await readLockfile(file)
  } catch (error) {
    if (!(error instanceof ConfigError) || options.frozen || options.dryRun) throw error
    warnings.push(`${error.message}; ignored it, re-resolved from the declaration and rewrote it`)
    options.onProgress?.(warnings[warnings.length - 1])
    return undefined
  }
}

/** The lock `dep resolve` holds (config/), and the guard under which a dead holder's is taken over (util/file-lock.ts). */
const RESOLVE_LOCK = '.dep-resolve.lock'
const RESOLVE_LOCK_FILES = new Set([RESOLVE_LOCK, `${RESOLVE_LOCK}.guard`])

async function removeStaleTemps(dir: string, base: string) {
  const {readdir, rm} = await import('node:fs/promises')
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (parseTempName(entry)?.target === base) await rm(path.join(dir, entry), {force: true})
    // A run killed while taking the resolve lock leaves its draft (written, then linked into
    // place, then removed). A live writer's is another run waiting for the lock we hold.
    const draft = parseLockDraftName(entry)
    if (draft && RESOLVE_LOCK_FILES.has(draft.lock) && draft.pid !== process.pid && !processAlive(draft.pid)) await rm(path.join(dir, entry), {force: true})
  }
}

/**
 * Of the touched extensions, those whose files differ from the locked content, told from the
 * blob cache alone (`cacheOnly` never asks a registry: following the lock stays offline). One
 * whose locked content cannot be read from there counts as differing: the run warns, or
 * --frozen fails, pointing to `dep verify`, instead of failing for a check it could not make.
 */
async function differingFromCache(workspace: string, touched: PlannedExtension[], cacheOnly: Installer, tmpDir: string): Promise<ReadonlySet<string>> {
  const differing = new Set<string>()
  for (const extension of touched) {
    try {
      if ((await installedDifferences(workspace, [extension], cacheOnly, tmpDir)).length > 0) differing.add(extension.name)
    } catch (error) {
      if (!(error instanceof ProvisioningError || (error as NodeJS.ErrnoException).code)) throw error
      differing.add(extension.name)
    }
  }
  return differing
}

/** `--force`: the content of every installed extension compared with the plan; what differs is reinstalled (from the cache). */
async function forcedChecks(
  workspace: string,
  extensions: PlannedExtension[],
  installer: Installer,
  tmpDir: string,
  onProgress?: (line: string) => void,
): Promise<InstallChecks> {
  await assertExtensionFolders(workspace)
  const differing = new Set((await installedDifferences(workspace, extensions, installer, tmpDir)).map((d) => d.name))
  for (const name of [...differing].sort()) onProgress?.(`${name}: the installed files differ from the locked content; reinstalling`)
  return {reinstall: differing, verified: new Set(extensions.map((e) => e.name).filter((name) => !differing.has(name)))}
}
