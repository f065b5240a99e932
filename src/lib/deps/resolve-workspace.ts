import path from 'node:path'

import pLimit from 'p-limit'

import type {LoadOptions} from '../config/loader.js'
import {extractArchive} from '../extension/extract.js'
import {extensionLayer, readArtifact} from '../oci/artifact-reader.js'
import {OciContext} from '../oci/context.js'
import {ConfigError, NotFoundError, RegistryError} from '../errors.js'
import {withFileLock} from '../util/file-lock.js'
import {assertWorkspaceWritable} from '../workspace/lock/status.js'
import {openDependencyContext} from './dependency-context.js'
import {installPlan, type InstallReport} from './install.js'
import {readLockfile, serializeLockfile, writeLockfile} from './lockfile.js'
import {type PlannedExtension, planResolution} from './plan.js'

export interface DepResolveOptions extends LoadOptions {
  frozen?: boolean
  offline?: boolean
  dryRun?: boolean
  concurrency?: number
  /** `dep update`: re-resolve allowing newer versions of all (`true`) or the named extensions. */
  update?: true | string[]
  onProgress?: (line: string) => void
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
  order: Array<{name: string; type: string; version: string; reference: string; digest: string}>
}

export {lockfilePath} from './lockfile.js'

/**
 * `dep resolve` (SPEC §9.3): resolve or follow the lock, pull what is missing (bounded, in
 * parallel, verified), install atomically, remove what is no longer required, then write
 * the lock. One run at a time per workspace: a second waits, then exits 9 naming the holder.
 */
export async function resolveWorkspace(options: DepResolveOptions): Promise<DepResolveResult> {
  const {workspace, workspaceName, values, declaration, settings, lockfile, lockTimeoutSeconds: waitSeconds} = await openDependencyContext(options)
  if (!options.dryRun) await assertWorkspaceWritable({name: workspaceName, path: workspace}, values, options.update ? 'update dependencies' : 'resolve dependencies')

  const run = async (): Promise<DepResolveResult> => {
    const oci = new OciContext(settings)
    const warnings: string[] = []
    try {
      const plan = await planResolution(oci, {
        declaration,
        lock: await readLockOrRecover(lockfile, options, warnings),
        frozen: options.frozen,
        offline: options.offline,
        update: options.update,
        concurrency: settings.concurrency,
        lockfilePath: lockfile,
      })
      const order = plan.extensions.map(({name, type, version, reference, digest}) => ({name, type, version, reference, digest}))
      const base = {workspace, lockfile, followedLock: plan.followedLock, dryRun: Boolean(options.dryRun), warnings, order}
      if (options.dryRun) return {...base, lockWritten: false, installed: [], unchanged: [], removed: []}
      const report = await installPlan(workspace, plan.extensions, ociInstaller(oci, settings.concurrency, Boolean(options.offline)), options.onProgress)
      // A followed lock is the file itself: nothing to compare or write. --frozen never
      // writes, even when the (current) lock is merely formatted differently.
      let lockWritten = false
      if (!plan.followedLock && !options.frozen) {
        const {readFile} = await import('node:fs/promises')
        const previous = await readFile(lockfile, 'utf8').catch(() => undefined)
        lockWritten = previous !== (await serializeLockfile(plan.lock))
        if (lockWritten) await writeLockfile(lockfile, plan.lock)
      }
      return {...base, ...report, lockWritten}
    } finally {
      await oci.close()
    }
  }
  // --frozen writes no lock but does install, so it serializes with other runs like a plain one.
  if (options.dryRun) return run()
  return withFileLock(path.join(workspace, 'config', '.dep-resolve.lock'), {waitMs: waitSeconds * 1000, purpose: `dep resolve in ${workspace}`}, run)
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

async function removeStaleTemps(dir: string, base: string) {
  const {readdir, rm} = await import('node:fs/promises')
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (entry.startsWith(`.${base}.`) && entry.endsWith('.tmp')) await rm(path.join(dir, entry), {force: true})
  }
}

/** Layers come through the blob cache (verified, fetched in parallel); local sources are packaged. */
function ociInstaller(oci: OciContext, concurrency: number, offline: boolean) {
  const layerOf = async (extension: PlannedExtension): Promise<Buffer> => {
    if (extension.origin.kind === 'local') {
      const {packageExtension} = await import('../extension/package.js')
      return (await packageExtension(extension.origin.dir)).data
    }
    // The manifest is pinned by digest: from the blob cache when there, so a locked, warm
    // install asks the registry nothing.
    const known = await oci.cache.get({digest: extension.digest})
    if (!known && offline) {
      throw new RegistryError(`the manifest of ${extension.name}@${extension.version} (${extension.digest}) is not in the cache, and --offline forbids fetching it`, {
        hint: 'run once without --offline to fill the cache',
        details: {name: extension.name, digest: extension.digest},
      })
    }
    const artifact = known
      ? await readArtifact(oci, extension.origin.reference, {descriptor: {mediaType: '', digest: extension.digest, size: known.byteLength}, bytes: known})
      : await readArtifact(oci, extension.origin.reference).catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error
        throw new NotFoundError(`${extension.name}@${extension.version}: ${extension.reference} no longer has the pinned content ${extension.digest} (${error.message})`, {
          hint: `the artifact was deleted or re-pushed; run "provisioning dep update ${extension.name}" to resolve it again, or restore it in the registry`,
          details: {name: extension.name, reference: extension.reference, digest: extension.digest},
        })
      })
    if (!known) await oci.cache.put(artifact.manifest.descriptor, artifact.manifest.bytes)
    if (artifact.manifest.descriptor.digest !== extension.digest) {
      const {IntegrityError} = await import('../errors.js')
      throw new IntegrityError(`${extension.reference} is now ${artifact.manifest.descriptor.digest}, but the lock pins ${extension.digest}`, {
        hint: 'the tag was re-pushed with other content; run "provisioning dep update NAME" to accept the new content',
      })
    }
    const layer = extensionLayer(artifact)
    return (await oci.cache.through(layer, () => {
      if (offline) throw new RegistryError(`the content of ${extension.name}@${extension.version} is not in the cache, and --offline forbids fetching it`, {hint: 'run once without --offline to fill the cache'})
      return artifact.store.fetchBlob(artifact.ref.repository, layer)
    })).data
  }
  const fetched = new Map<string, Promise<Buffer>>()
  const limit = pLimit(Math.max(1, concurrency))
  const get = (e: PlannedExtension) => {
    let pending = fetched.get(e.name)
    if (!pending) {
      pending = limit(() => layerOf(e))
      fetched.set(e.name, pending)
    }
    return pending
  }
  return {
    async prefetch(extensions: PlannedExtension[]) {
      await Promise.all(extensions.map((e) => get(e)))
    },
    async install(extension: PlannedExtension, target: string) {
      await extractArchive(await get(extension), target)
      fetched.delete(extension.name)
    },
  }
}
