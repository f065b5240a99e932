import {chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'

import {Header, type HeaderData} from 'tar'

import {ProvisioningError} from '../../../src/lib/errors.js'

/** A temp folder per test, removed afterwards. */
export async function makeTempDir(prefix = 'prov-ext-'): Promise<{root: string; cleanup: () => Promise<void>}> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix))
  return {
    root,
    cleanup: async () => {
      await chmod(root, 0o755).catch(() => undefined)
      await rm(root, {recursive: true, force: true})
    },
  }
}

export type TreeSpec = Record<string, string | {content: string; mode?: number} | {symlink: string} | {dir: true; mode?: number}>

/** Writes files, folders and symlinks below root (parents created as needed). */
export async function writeTree(root: string, spec: TreeSpec): Promise<void> {
  for (const [relative, value] of Object.entries(spec)) {
    const full = path.join(root, relative)
    await mkdir(path.dirname(full), {recursive: true})
    if (typeof value === 'string') {
      await writeFile(full, value)
      await chmod(full, 0o644)
    } else if ('symlink' in value) {
      await symlink(value.symlink, full)
    } else if ('dir' in value) {
      await mkdir(full, {recursive: true})
      await chmod(full, value.mode ?? 0o755)
    } else {
      await writeFile(full, value.content)
      await chmod(full, value.mode ?? 0o644)
    }
  }
}

export const MINIMAL_MANIFEST = 'name: redis\ntype: taskserv\nversion: 1.0.0\n'

/** A small valid extension with every standard folder. */
export async function writeValidExtension(root: string, extra: TreeSpec = {}): Promise<void> {
  await writeTree(root, {
    'manifest.yaml': 'name: redis\ntype: taskserv\nversion: "7.2.0"\ndescription: Redis\ndependencies:\n  os: "^1.0"\n',
    'README.md': '# redis\n',
    'kcl/redis.k': 'schema Redis:\n    port: int = 6379\n',
    'kcl/kcl.mod': '[package]\nname = "redis"\n',
    'scripts/install.sh': {content: '#!/bin/sh\necho install\n', mode: 0o755},
    'templates/redis.conf.j2': 'port {{ port }}\n',
    'docs/README.md': 'docs\n',
    'tests/smoke.sh': {content: '#!/bin/sh\nexit 0\n', mode: 0o755},
    ...extra,
  })
}

export interface TreeEntry {
  kind: 'file' | 'dir' | 'symlink'
  mode: number
  content?: string
  target?: string
}

/** Every entry below root with kind, permission bits and content (for comparisons). */
export async function snapshotTree(root: string): Promise<Record<string, TreeEntry>> {
  const out: Record<string, TreeEntry> = {}
  const walk = async (relative: string) => {
    for (const name of (await readdir(path.join(root, relative))).sort()) {
      const entryPath = relative ? `${relative}/${name}` : name
      const full = path.join(root, entryPath)
      const info = await lstat(full)
      if (info.isSymbolicLink()) out[entryPath] = {kind: 'symlink', mode: 0, target: await readlink(full)}
      else if (info.isDirectory()) {
        out[entryPath] = {kind: 'dir', mode: info.mode & 0o777}
        await walk(entryPath)
      } else out[entryPath] = {kind: 'file', mode: info.mode & 0o777, content: await readFile(full, 'utf8')}
    }
  }
  await walk('')
  return out
}

/** A raw tar entry for hand-built (possibly hostile) archives. */
export interface RawEntry extends HeaderData {
  path: string
  data?: Buffer | string
}

/**
 * Builds a tar stream byte by byte with node-tar's Header encoder, which writes whatever
 * it is given: `../x`, absolute paths, device entries, links anywhere.
 */
export function rawTar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const {data, ...fields} of entries) {
    const body = data === undefined ? Buffer.alloc(0) : Buffer.from(data)
    const header = new Header({mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), type: 'File', size: body.length, ...fields})
    header.encode()
    parts.push(header.block as Buffer, body, Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

export function rawTarGz(entries: RawEntry[]): Buffer {
  return zlib.gzipSync(rawTar(entries))
}

/** Runs `fn`, expects a ProvisioningError, and returns it. */
export async function expectProvisioningError(fn: () => Promise<unknown>): Promise<ProvisioningError> {
  try {
    await fn()
  } catch (error) {
    if (error instanceof ProvisioningError) return error
    throw new Error(`expected a ProvisioningError, got ${String(error)}`, {cause: error})
  }
  throw new Error('expected a ProvisioningError, but the call succeeded')
}

export {isRoot} from '../../helpers/unprivileged.js'
