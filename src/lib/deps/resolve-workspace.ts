import path from 'node:path'

import pLimit from 'p-limit'

import {loadConfig, type LoadOptions} from '../config/loader.js'
import {getPath} from '../config/merge.js'
import {extractArchive} from '../extension/extract.js'
import {extensionLayer, readArtifact} from '../oci/artifact-reader.js'
import {OciContext} from '../oci/context.js'
import {ociSettings} from '../oci/settings.js'
import {RegistryError} from '../errors.js'
import {withFileLock} from '../util/file-lock.js'
import {requireWorkspace} from '../workspace/discover.js'
import {parseDeclaration} from './declaration.js'
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
  order: Array<{name: string; type: string; version: string; reference: string; digest: string}>
}

export const lockfilePath = (workspace: string) => path.join(workspace, 'config', 'provisioning.lock')

/**
 * `dep resolve` (SPEC §9.3): resolve or follow the lock, pull what is missing (bounded, in
 * parallel, verified), install atomically, remove what is no longer required, then write
 * the lock. One run at a time per workspace: a second waits, then exits 9 naming the holder.
 */
export async function resolveWorkspace(options: DepResolveOptions): Promise<DepResolveResult> {
  const loaded = await loadConfig(options)
  const workspace = requireWorkspace({workspace: loaded.workspace, warning: loaded.workspaceWarning}).path
  const settings = await ociSettings(options, {concurrency: options.concurrency}, loaded)
  const declaration = parseDeclaration(loaded.values, {workspacePath: workspace, defaults: {registry: settings.registry, namespace: settings.namespace}})
  if (declaration.source.kind === 'oci') {
    settings.registry = declaration.source.registry
    settings.namespace = declaration.source.namespace
    if (declaration.source.tlsEnabled !== undefined) settings.tlsEnabled = declaration.source.tlsEnabled
    if (declaration.source.tokenPath) settings.tokenPath = declaration.source.tokenPath
  }
  const lockfile = lockfilePath(workspace)
  const waitSeconds = Number(getPath(loaded.values, 'deps.lock_timeout_seconds') ?? 10)

  const run = async (): Promise<DepResolveResult> => {
    const oci = new OciContext(settings)
    try {
      const plan = await planResolution(oci, {
        declaration,
        lock: await readLockfile(lockfile),
        frozen: options.frozen,
        offline: options.offline,
        update: options.update,
        concurrency: settings.concurrency,
        lockfilePath: lockfile,
      })
      const order = plan.extensions.map(({name, type, version, reference, digest}) => ({name, type, version, reference, digest}))
      const base = {workspace, lockfile, followedLock: plan.followedLock, dryRun: Boolean(options.dryRun), order}
      if (options.dryRun) return {...base, lockWritten: false, installed: [], unchanged: [], removed: []}
      const report = await installPlan(workspace, plan.extensions, ociInstaller(oci, settings.concurrency, Boolean(options.offline)), options.onProgress)
      const {readFile} = await import('node:fs/promises')
      const previous = await readFile(lockfile, 'utf8').catch(() => undefined)
      const next = await serializeLockfile(plan.lock)
      const lockWritten = previous !== next
      if (lockWritten) await writeLockfile(lockfile, plan.lock)
      return {...base, ...report, lockWritten}
    } finally {
      await oci.close()
    }
  }
  if (options.dryRun || options.frozen) return run()
  return withFileLock(path.join(workspace, 'config', '.dep-resolve.lock'), {waitMs: waitSeconds * 1000, purpose: `dep resolve in ${workspace}`}, run)
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
    const artifact = known
      ? await readArtifact(oci, extension.origin.reference, {descriptor: {mediaType: '', digest: extension.digest, size: known.byteLength}, bytes: known})
      : await readArtifact(oci, extension.origin.reference)
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
