import pLimit from 'p-limit'

import {UsageError} from '../../errors.js'
import path from 'node:path'

import type {ExcludedEntry} from '../../extension/ignore-rules.js'
import type {Problem} from '../../extension/problems.js'
import {packageExtensionSpooled, type SpooledPackage} from '../../extension/package.js'
import {buildExtensionArtifact} from '../../artifact/artifact.js'
import {updateIndexEntry} from '../../repository/index-sync.js'
import type {CopyListeners, CopyStats} from '../copy.js'
import {formatReference} from '../reference.js'
import {assertTargetWithoutLocationFlags, pushReference, type PushTarget} from './push-target.js'
import {type OciOperationOptions, type OciSession, withSession} from './session.js'
import {type PushSignature, pushSigningKey, type PushSigningRequest, signPushed} from './push-signing.js'
import {signatureCreatedAt} from './signature-time.js'
import {guardVersionTags, type ReplacedVersion} from './version-tag-guard.js'
import {assertWritable} from './read-only-guard.js'
import type {SigningKey} from '../../signing/signatures.js'

export type {PushTarget} from './push-target.js'

export interface PushOptions extends OciOperationOptions, PushTarget, CopyListeners, PushMode {}

interface PushMode {
  dryRun?: boolean
  /** Replace a version tag that holds other content (audited by the command). */
  force?: boolean
  /** `--sign` / `--key` (or oci.require_signed_push): sign each pushed manifest. */
  signing?: PushSigningRequest
}

/** PushMode with the signing key read (once, before anything is sent). */
interface PushWork extends CopyListeners, Omit<PushMode, 'signing'>, Pick<OciOperationOptions, 'config'> {
  key?: SigningKey
  created?: string
}

export interface PushResult extends Partial<CopyStats> {
  name: string
  version: string
  reference: string
  digest: string
  size: number
  engine: string
  dryRun: boolean
  /** Entries .provisioningignore (or its defaults) left out of the layer. */
  excluded: ExcludedEntry[]
  /** Manifest warnings (unknown fields with their did-you-mean): pushed anyway. */
  warnings: Problem[]
  /** `--force` moved the version tag away from other content. */
  replaced?: ReplacedVersion
  /** The signature attached to the pushed manifest (--sign). */
  signature?: PushSignature
}

/** Validates and packages one folder (packaging validates), then copies it into the session's registry. */
async function pushOne(session: OciSession, target: PushTarget, options: PushWork): Promise<PushResult> {
  const {oci} = session
  if (!options.dryRun) warmUp(session, target.name)
  // Large layers are packaged to a temp file (hashed on the way) and streamed from it.
  const pkg = await packageExtensionSpooled(target.dir, path.join(oci.cache.dir, 'tmp'))
  try {
    return await pushPackage(session, target, pkg, options)
  } finally {
    await pkg.layer.dispose()
  }
}

async function pushPackage({engine, oci}: OciSession, target: PushTarget, pkg: SpooledPackage, options: PushWork): Promise<PushResult> {
  const {manifest} = pkg
  const ref = pushReference(oci, target, manifest)
  await assertWritable(options.config, ref, 'push')
  const name = manifest.name
  const version = ref.tag as string
  const artifact = buildExtensionArtifact({manifest, fileName: pkg.fileName, data: pkg.layer.body, digest: pkg.digest})
  const base = {
    name,
    version,
    reference: formatReference(ref),
    digest: artifact.manifest.descriptor.digest,
    size: artifact.manifest.descriptor.size,
    engine: engine.name,
    excluded: pkg.excluded,
    warnings: pkg.warnings,
  }
  // A dry run asks no registry, so it cannot tell whether the version is taken.
  if (options.dryRun) return {...base, dryRun: true}
  // Packaging is reproducible, so the digest is known before any blob is sent: a refused push sends nothing.
  const [replaced] = await guardVersionTags(oci, ref, [version], base.digest, {action: 'push', force: options.force})
  const stats = await engine.push(ref, artifact, options)
  // Signed through the native store whatever the engine: the bundle is a referrer of the digest just pushed.
  const signature = options.key
    ? await signPushed(oci.store(ref.location), ref.repository, artifact.manifest.descriptor, options.key, options.created ?? new Date().toISOString())
    : undefined
  await updateIndexEntry(oci, ref.location, ref.repository)
  return {...base, ...stats, dryRun: false, ...(replaced ? {replaced} : {}), ...(signature ? {signature} : {})}
}

/** Connects to the destination while the folder is being packaged. */
function warmUp({oci, engine}: OciSession, name: string | undefined): void {
  try {
    engine.warmUp(oci.parse(name ?? 'warm-up'))
  } catch {
    // a bad reference is reported where it is used
  }
}

/**
 * `oci push` takes `DIR [NAME] [VERSION]` or `DIR...`: several arguments that are all
 * extension folders (each holding manifest.yaml) mean a batch.
 */
export async function batchDirectories(args: string[], cwd: string): Promise<string[] | undefined> {
  if (args.length < 2) return undefined
  const {stat} = await import('node:fs/promises')
  const path = await import('node:path')
  const isExtension = (dir: string) =>
    stat(path.resolve(cwd, dir, 'manifest.yaml')).then(
      (s) => s.isFile(),
      () => false,
    )
  const all = await Promise.all(args.map(isExtension))
  if (all.every(Boolean)) return args
  if (args.length > 3) {
    throw new UsageError(
      `oci push takes DIR [NAME] [VERSION] or several extension folders; ${args.filter((_, i) => !all[i]).join(', ')} holds no manifest.yaml`,
      {
        hint: 'pass only extension folders to push several at once',
      },
    )
  }
  return undefined
}

/** `oci push DIR`: validate, package reproducibly, and copy the artifact to the registry. */
export async function pushExtension(options: PushOptions): Promise<PushResult> {
  assertTargetWithoutLocationFlags(options, options)
  const work = await pushWork(options)
  return withSession({...options, workspaceSource: 'required'}, (session) => pushOne(session, options, work))
}

/** The signing key is read and decrypted before any folder is packaged or anything sent (a dry run signs nothing). */
async function pushWork(options: OciOperationOptions & CopyListeners & PushMode): Promise<PushWork> {
  const {signing, ...rest} = options
  if (options.dryRun) return rest
  const config = await options.config()
  const key = await pushSigningKey(config, signing ?? {}, process.cwd())
  return key ? {...rest, key, created: signatureCreatedAt(config.env)} : rest
}

export interface BatchPushResult {
  pushed: PushResult[]
}

/**
 * `oci push DIR...`: many extensions in one process: one config load, one connection
 * pool and token cache, up to oci.concurrency artifacts at a time. The first failure
 * stops the batch (already pushed artifacts stay pushed; a re-run skips their blobs).
 */
export async function pushExtensions(options: OciOperationOptions & CopyListeners & PushMode & {dirs: string[]}): Promise<BatchPushResult> {
  const work = await pushWork(options)
  return withSession({...options, workspaceSource: 'required'}, async (session) => {
    const limit = pLimit(Math.max(1, session.settings.concurrency))
    const pushed = await Promise.all(options.dirs.map((dir) => limit(() => pushOne(session, {dir}, work))))
    return {pushed}
  })
}
