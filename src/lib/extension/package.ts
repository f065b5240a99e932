import {open, rename} from 'node:fs/promises'
import path from 'node:path'

import {ConfigError} from '../errors.js'
import {isBlobFile} from '../util/blob-body.js'
import {BlobSpool, type SpooledBlob} from '../util/blob-spool.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {AdaptiveGzip} from './adaptive-gzip.js'
import type {ExcludedEntry} from './ignore-rules.js'
import type {ExtensionManifest} from './manifest.js'
import {type Problem, warningsOf} from './problems.js'
import {writeTarPieces} from './tar-stream.js'
import {assertValidExtension, type ValidExtension} from './validate.js'

export interface PackageOptions {
  /** Fixed mtime of every entry; default SOURCE_DATE_EPOCH, else 0. */
  sourceDateEpoch?: number
  env?: NodeJS.ProcessEnv
}

export interface ExtensionPackage {
  manifest: ExtensionManifest
  /** `{name}-{version}.tar.gz` */
  fileName: string
  /** The gzip-compressed tarball (the OCI layer). */
  data: Buffer
  /** `sha256:<hex>` of data. */
  digest: string
  size: number
  /** Size of the tar stream before compression. */
  uncompressedSize: number
  /** Entries .provisioningignore (or its defaults) left out of the archive. */
  excluded: ExcludedEntry[]
  /** Validation warnings (unknown manifest fields with their did-you-mean): packaged anyway. */
  warnings: Problem[]
}

/**
 * The archive timestamp: the explicit option, else SOURCE_DATE_EPOCH
 * (https://reproducible-builds.org/specs/source-date-epoch/), else the Unix epoch.
 */
export function resolveSourceDateEpoch(explicit?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (explicit !== undefined) {
    if (!Number.isSafeInteger(explicit) || explicit < 0) {
      throw new ConfigError(`sourceDateEpoch must be a non-negative integer, got ${explicit}`, {hint: 'pass seconds since 1970-01-01T00:00:00Z'})
    }
    return explicit
  }
  const raw = env.SOURCE_DATE_EPOCH?.trim()
  if (raw === undefined || raw === '') return 0
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new ConfigError(`SOURCE_DATE_EPOCH must be a non-negative integer number of seconds, got "${raw}"`, {
      hint: 'e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), or unset it',
    })
  }
  return Number(raw)
}

export function packageFileName(manifest: Pick<ExtensionManifest, 'name' | 'version'>): string {
  return `${manifest.name}-${manifest.version}.tar.gz`
}

/**
 * The compression of the layer (adaptive-gzip.ts): level 9 for pieces of the tar stream
 * that look compressible, stored deflate blocks for random-looking ones, chosen from the
 * bytes alone. Standard single-member gzip; the deflate stream is only as stable as the
 * zlib bundled with Node (the same folder gives the same bytes for a given Node build),
 * while the tar stream inside is identical everywhere.
 */
async function packageInto(
  dir: string,
  options: PackageOptions,
  spool: BlobSpool,
): Promise<{extension: ValidExtension; uncompressedSize: number; blob: SpooledBlob}> {
  const mtime = resolveSourceDateEpoch(options.sourceDateEpoch, options.env)
  const extension = await assertValidExtension(dir)
  try {
    const gzip = new AdaptiveGzip((chunk) => spool.write(chunk))
    await writeTarPieces(extension.dir, extension.files, mtime, (piece) => gzip.write(piece))
    await gzip.end()
    return {extension, uncompressedSize: gzip.uncompressedSize, blob: await spool.finish()}
  } catch (error) {
    await spool.abort()
    throw error
  }
}

/**
 * Packages a valid extension folder into a reproducible `{name}-{version}.tar.gz`:
 * entries relative to the folder (manifest.yaml at the root), sorted by name, folders
 * included with a trailing slash, one fixed mtime, uid/gid 0 with empty owner names,
 * modes normalized to 0755/0644, symlinks kept (they must point inside the folder).
 * An invalid folder throws the ValidationError of assertValidExtension (exit 10).
 */
export async function packageExtension(dir: string, options: PackageOptions = {}): Promise<ExtensionPackage> {
  const {extension, uncompressedSize, blob} = await packageInto(dir, options, new BlobSpool())
  const data = blob.body as Buffer
  return {
    manifest: extension.manifest,
    fileName: packageFileName(extension.manifest),
    data,
    digest: blob.digest,
    size: data.length,
    uncompressedSize,
    excluded: extension.excluded,
    warnings: warningsOf(extension.problems),
  }
}

export interface SpooledPackage extends Omit<ExtensionPackage, 'data'> {
  /** The layer: in memory when small, else a temp file under the spool folder. */
  layer: SpooledBlob
}

/**
 * Packages like packageExtension in one pass (tar, compress, hash), but a large archive
 * goes to a temp file under `spoolDir` instead of memory; the caller disposes of it.
 */
export async function packageExtensionSpooled(dir: string, spoolDir: string, options: PackageOptions = {}): Promise<SpooledPackage> {
  const {extension, uncompressedSize, blob} = await packageInto(dir, options, new BlobSpool(spoolDir))
  return {
    manifest: extension.manifest,
    fileName: packageFileName(extension.manifest),
    digest: blob.digest,
    size: blob.size,
    uncompressedSize,
    excluded: extension.excluded,
    warnings: warningsOf(extension.problems),
    layer: blob,
  }
}

export interface WrittenPackage extends Omit<ExtensionPackage, 'data'> {
  /** Absolute path of the written tarball. */
  path: string
}

/** `oci package DIR --output OUT`: writes `{name}-{version}.tar.gz` atomically (temp file + rename). */
export async function writePackage(dir: string, outDir: string, options: PackageOptions = {}): Promise<WrittenPackage> {
  const file = path.resolve(outDir, '.')
  const pkg = await packageExtensionSpooled(dir, file, options)
  const target = path.join(file, pkg.fileName)
  try {
    const {body} = pkg.layer
    if (isBlobFile(body)) await renameDurably(body.file, target)
    else await writeFileAtomic(target, body)
  } finally {
    await pkg.layer.dispose()
  }
  const {layer: _layer, ...rest} = pkg
  return {...rest, path: target}
}

/** A spooled temp file (same folder) made durable, then renamed over the target. */
async function renameDurably(temp: string, target: string): Promise<void> {
  const handle = await open(temp, 'r+')
  try {
    await handle.chmod(0o644)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, target)
}
