import {accessSync, constants, lstatSync, readdirSync, readlinkSync, type Stats} from 'node:fs'
import {stat} from 'node:fs/promises'
import path from 'node:path'

import {NotFoundError, ValidationError} from '../errors.js'
import {MAX_DOCUMENT_BYTES} from '../oci/limits.js'
import {readUntrusted} from '../util/untrusted-file.js'
import {linkTargetProblem} from './archive-paths.js'
import {type ExcludedEntry, type IgnoreRules, loadIgnoreRules} from './ignore-rules.js'
import {type ExtensionManifest, parseManifestYaml} from './manifest.js'
import type {Problem} from './problems.js'

/** Top-level folders of an extension (SPEC §8.1). */
export const EXTENSION_FOLDERS = ['kcl', 'scripts', 'templates', 'docs', 'tests'] as const

export const MANIFEST_FILE = 'manifest.yaml'

/** Top-level files besides manifest.yaml that need no warning (README.md, LICENSE, ...). */
const ALLOWED_TOP_LEVEL_FILE = /^(README|LICENSE|LICENCE|CHANGELOG|NOTICE|AUTHORS|CONTRIBUTING|SECURITY)(\.[A-Za-z0-9]+)?$/i

export type ExtensionEntryKind = 'file' | 'directory' | 'symlink'

/** One entry of an extension folder, as it will go into the archive. */
export interface ExtensionEntry {
  /** POSIX path relative to the extension folder, without trailing slash. */
  path: string
  kind: ExtensionEntryKind
  /** Permission bits as found on disk (packaging normalizes them). */
  mode: number
  /** Bytes, for files; 0 otherwise. */
  size: number
  /** For symlinks: the link target exactly as stored. */
  linkTarget?: string
}

export interface ExtensionDirContents {
  dir: string
  /** Present when manifest.yaml parsed and has no errors. */
  manifest?: ExtensionManifest
  problems: Problem[]
  /** Every entry below the folder that goes into the archive, sorted by path (byte order), directories included. */
  files: ExtensionEntry[]
  /** Entries .provisioningignore (or its defaults) left out; an excluded folder is not walked. */
  excluded: ExcludedEntry[]
}

interface Walk {
  root: string
  rules: IgnoreRules
  files: ExtensionEntry[]
  excluded: ExcludedEntry[]
  problems: Problem[]
}

function fileProblem(field: string, message: string, hint: string, severity: Problem['severity'] = 'error'): Problem {
  return {severity, field, message, hint}
}

function specialKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO'
  if (info.isSocket()) return 'a socket'
  if (info.isCharacterDevice()) return 'a character device'
  if (info.isBlockDevice()) return 'a block device'
  return 'an unsupported file type'
}

function isReadable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Walks the folder without following symlinks, recording entries and entry-level problems.
 * Synchronous calls: an extension is a few dozen entries, and each promise-based call
 * would be a thread-pool round trip costing more than the system call itself.
 */
function walk(state: Walk, relative: string): void {
  const {root, rules, files, excluded, problems} = state
  const absolute = path.join(root, relative)
  let names: string[]
  try {
    names = readdirSync(absolute)
  } catch (error) {
    problems.push(
      fileProblem(
        relative,
        `cannot list the folder: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        `check its permissions (chmod u+rx ${absolute})`,
      ),
    )
    return
  }
  // Byte order, so problems come out in the same order everywhere.
  names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  for (const name of names) {
    const entryPath = relative === '' ? name : `${relative}/${name}`
    const full = path.join(root, entryPath)
    let info
    try {
      info = lstatSync(full)
    } catch (error) {
      problems.push(
        fileProblem(entryPath, `cannot inspect: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, `check the permissions of ${absolute}`),
      )
      continue
    }
    // manifest.yaml is the extension: no rule leaves it out.
    const exclusion = entryPath === MANIFEST_FILE ? undefined : rules.excludes(entryPath, info.isDirectory())
    if (exclusion) {
      excluded.push({path: info.isDirectory() ? `${entryPath}/` : entryPath, ...exclusion})
      continue
    }
    const mode = info.mode & 0o7777
    if (info.isSymbolicLink()) {
      const target = readlinkSync(full)
      const problem = linkTargetProblem(entryPath, target)
      if (problem) {
        problems.push(
          fileProblem(entryPath, `symlink ${problem}`, 'replace the link with a copy of the file, or point it to a relative path inside the extension folder'),
        )
      }
      files.push({path: entryPath, kind: 'symlink', mode, size: 0, linkTarget: target})
    } else if (info.isDirectory()) {
      files.push({path: entryPath, kind: 'directory', mode, size: 0})
      walk(state, entryPath)
    } else if (info.isFile()) {
      if (!isReadable(full)) {
        problems.push(fileProblem(entryPath, 'file is not readable', `check its permissions (chmod u+r ${full})`))
      }
      files.push({path: entryPath, kind: 'file', mode, size: info.size})
    } else {
      problems.push(
        fileProblem(
          entryPath,
          `is ${specialKind(info)}, which cannot be packaged`,
          'remove it from the extension folder; only files, folders and symlinks are allowed',
        ),
      )
    }
  }
}

/** Warnings for top-level entries outside the documented layout. */
function checkLayout(files: ExtensionEntry[]): Problem[] {
  const problems: Problem[] = []
  for (const entry of files) {
    if (entry.path.includes('/') || entry.path === MANIFEST_FILE) continue
    const isFolderName = (EXTENSION_FOLDERS as readonly string[]).includes(entry.path)
    if (isFolderName && entry.kind !== 'directory') {
      problems.push(fileProblem(entry.path, `expected a folder, found a ${entry.kind}`, `make ${entry.path}/ a folder`, 'warning'))
    } else if (!isFolderName && !(entry.kind === 'file' && ALLOWED_TOP_LEVEL_FILE.test(entry.path))) {
      problems.push(
        fileProblem(
          entry.path,
          `unexpected ${entry.kind} at the top level of the extension`,
          `move it into one of ${EXTENSION_FOLDERS.map((folder) => `${folder}/`).join(', ')} (it is still packaged)`,
          'warning',
        ),
      )
    }
  }
  return problems
}

/**
 * manifest.yaml under the untrusted-file rule (no link followed, a FIFO never waited on, at
 * most 4 MiB), read before the walk: its name gives the rule for the extension's own tarballs.
 */
async function readManifestText(dir: string): Promise<string | undefined> {
  const read = await readUntrusted(path.join(dir, MANIFEST_FILE), {max: MAX_DOCUMENT_BYTES}).catch(() => undefined)
  return read?.kind === 'data' ? read.data.toString('utf8') : undefined
}

function checkManifest(
  dir: string,
  files: ExtensionEntry[],
  parsed: ReturnType<typeof parseManifestYaml> | undefined,
): {manifest?: ExtensionManifest; problems: Problem[]} {
  const entry = files.find((file) => file.path === MANIFEST_FILE)
  if (!entry) {
    const alternative = files.find((file) => /^manifest\.(yml|json)$/i.test(file.path) || file.path === 'Manifest.yaml')
    const hint = alternative ? `rename ${alternative.path} to ${MANIFEST_FILE}` : 'create manifest.yaml (see `provisioning generate extension TYPE NAME`)'
    return {problems: [fileProblem(MANIFEST_FILE, `${MANIFEST_FILE} is missing at the root of ${dir}`, hint)]}
  }
  if (entry.kind !== 'file') {
    return {problems: [fileProblem(MANIFEST_FILE, `${MANIFEST_FILE} must be a regular file, found a ${entry.kind}`, `replace it with a regular file`)]}
  }
  if (entry.size > MAX_DOCUMENT_BYTES) {
    return {
      problems: [
        fileProblem(
          MANIFEST_FILE,
          `${MANIFEST_FILE} is ${entry.size} bytes (at most ${MAX_DOCUMENT_BYTES})`,
          'a manifest needs a few KiB; move data into the extension folders',
        ),
      ],
    }
  }
  // Unreadable: reported as "not readable" by the walk.
  return parsed ? {manifest: parsed.manifest, problems: parsed.problems} : {problems: []}
}

/**
 * Reads an extension folder: every entry (sorted, directories included, symlinks not
 * followed), the parsed manifest, and all problems found in the manifest and the folder
 * structure. Throws only when `dir` itself is missing or not a folder.
 */
export async function readExtensionDir(dir: string): Promise<ExtensionDirContents> {
  const root = path.resolve(dir)
  const info = await stat(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new NotFoundError(`extension folder ${root} does not exist`, {hint: 'pass the path of a folder holding manifest.yaml', details: {dir: root}})
    }
    throw error
  })
  if (!info.isDirectory()) {
    throw new ValidationError(`${root} is not a folder`, {hint: 'pass the extension folder (the one holding manifest.yaml), not a file', details: {dir: root}})
  }
  const text = await readManifestText(root)
  const parsed = text === undefined ? undefined : parseManifestYaml(text)
  const {rules, problems: ignoreProblems} = await loadIgnoreRules(root, parsed?.manifest?.name)
  const state: Walk = {root, rules, files: [], excluded: [], problems: [...ignoreProblems]}
  walk(state, '')
  const {files, excluded, problems: structureProblems} = state
  // Byte order of the archive names (folders with their trailing slash), not locale order.
  const archiveName = (entry: ExtensionEntry) => Buffer.from(entry.kind === 'directory' ? `${entry.path}/` : entry.path)
  files.sort((a, b) => Buffer.compare(archiveName(a), archiveName(b)))
  const {manifest, problems: manifestProblems} = checkManifest(root, files, parsed)
  return {dir: root, manifest, problems: [...manifestProblems, ...structureProblems, ...checkLayout(files)], files, excluded}
}
