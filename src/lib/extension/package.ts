import {constants} from 'node:fs'
import {open} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import zlib from 'node:zlib'

import {ConfigError, IntegrityError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import type {ExtensionEntry} from './extension-dir.js'
import type {ExtensionManifest} from './manifest.js'
import {dataPadding, encodeHeader, endOfArchive, type TarEntry} from './tar-writer.js'
import {assertValidExtension} from './validate.js'
import {sha256} from '../oci/digest.js'

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
}

/** Fixed gzip settings: the compressed bytes must not depend on library defaults. */
const GZIP_OPTIONS: zlib.ZlibOptions = {level: 9, memLevel: 8, windowBits: 15, strategy: zlib.constants.Z_DEFAULT_STRATEGY}
/** RFC 1952 OS byte for Unix; zlib stamps the build platform (macOS writes 19, Windows 10). */
const GZIP_OS_UNIX = 3

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

/** Any exec bit makes a file 0755; everything else 0644, whatever the umask or owner. */
function normalizedMode(entry: ExtensionEntry): number {
  if (entry.kind === 'directory') return 0o755
  if (entry.kind === 'symlink') return 0o777
  return entry.mode & 0o111 ? 0o755 : 0o644
}

/** Reads a file without following a symlink swapped in since the walk, and checks its size. */
async function readEntryData(root: string, entry: ExtensionEntry): Promise<Buffer> {
  const handle = await open(path.join(root, entry.path), constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    const data = await handle.readFile()
    if (data.length !== entry.size) {
      throw new IntegrityError(`${entry.path} changed while it was being packaged`, {hint: 'package again once the folder is stable', details: {path: entry.path}})
    }
    return data
  } finally {
    await handle.close()
  }
}

async function buildTar(root: string, entries: ExtensionEntry[], mtime: number): Promise<Buffer> {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const tarEntry: TarEntry = {
      path: entry.kind === 'directory' ? `${entry.path}/` : entry.path,
      type: entry.kind === 'directory' ? 'Directory' : entry.kind === 'symlink' ? 'SymbolicLink' : 'File',
      mode: normalizedMode(entry),
      mtime,
      size: entry.kind === 'file' ? entry.size : 0,
      linkpath: entry.linkTarget,
    }
    parts.push(encodeHeader(tarEntry))
    if (entry.kind === 'file') {
      parts.push(await readEntryData(root, entry), dataPadding(entry.size))
    }
  }
  parts.push(endOfArchive())
  return Buffer.concat(parts)
}

/**
 * gzip with a fixed level and a header without name or timestamp (bytes 4-7 zero, as
 * node's zlib never stores either), and the OS byte pinned. The deflate stream itself is
 * only as stable as the zlib bundled with Node: the same folder gives the same bytes for
 * a given Node build, while the tar stream inside is identical everywhere.
 */
export async function gzipDeterministic(tar: Buffer): Promise<Buffer> {
  const compressed = await promisify(zlib.gzip)(tar, GZIP_OPTIONS)
  compressed[9] = GZIP_OS_UNIX
  return compressed
}

/**
 * Packages a valid extension folder into a reproducible `{name}-{version}.tar.gz`:
 * entries relative to the folder (manifest.yaml at the root), sorted by name, folders
 * included with a trailing slash, one fixed mtime, uid/gid 0 with empty owner names,
 * modes normalized to 0755/0644, symlinks kept (they must point inside the folder).
 * An invalid folder throws the ValidationError of assertValidExtension (exit 10).
 */
export async function packageExtension(dir: string, options: PackageOptions = {}): Promise<ExtensionPackage> {
  const mtime = resolveSourceDateEpoch(options.sourceDateEpoch, options.env)
  const extension = await assertValidExtension(dir)
  const tar = await buildTar(extension.dir, extension.files, mtime)
  const data = await gzipDeterministic(tar)
  return {
    manifest: extension.manifest,
    fileName: packageFileName(extension.manifest),
    data,
    digest: sha256(data),
    size: data.length,
    uncompressedSize: tar.length,
  }
}

export interface WrittenPackage extends Omit<ExtensionPackage, 'data'> {
  /** Absolute path of the written tarball. */
  path: string
}

/** `oci package DIR --output OUT`: writes `{name}-{version}.tar.gz` atomically (temp file + rename). */
export async function writePackage(dir: string, outDir: string, options: PackageOptions = {}): Promise<WrittenPackage> {
  const {data, ...rest} = await packageExtension(dir, options)
  const file = path.resolve(outDir, rest.fileName)
  await writeFileAtomic(file, data)
  return {...rest, path: file}
}
