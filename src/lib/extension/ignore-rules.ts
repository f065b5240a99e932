import path from 'node:path'

import ignore from 'ignore'

import {readUntrusted} from '../util/untrusted-file.js'
import type {Problem} from './problems.js'

export const IGNORE_FILE = '.provisioningignore'

/** A .provisioningignore is a few dozen lines; this is far beyond any real one. */
export const MAX_IGNORE_FILE_BYTES = 64 * 1024

/**
 * What never belongs in an extension artifact, whatever the folder's own rules say first:
 * version-control data, secrets, editor and OS litter, and the ignore file itself. A
 * folder's .provisioningignore comes after these, so `!.env.example` re-includes a file.
 */
export const DEFAULT_IGNORE_RULES: readonly string[] = [
  '.git/',
  '.hg/',
  '.svn/',
  '.env*',
  '*.swp',
  '*.swo',
  '*~',
  '.#*',
  '\\#*#',
  '.DS_Store',
  '.idea/',
  '.vscode/',
  IGNORE_FILE,
]

/** An entry left out of the archive and the rule that left it out (`.git/`, or `!` rules never). */
export interface ExcludedEntry {
  /** POSIX path relative to the extension folder; folders end with `/` (their contents are not walked). */
  path: string
  rule: string
  /** `default` or `.provisioningignore`. */
  from: string
}

export interface IgnoreRules {
  /** The rule excluding `relative` (folders tested with a trailing slash), if any. */
  excludes(relative: string, isDirectory: boolean): {rule: string; from: string} | undefined
}

const DEFAULT_MARK = 'default'

/**
 * The extension's own tarballs (`oci package` run inside the folder, or with --output in
 * it) at any depth: without this, packaging twice packs the first tarball into the second.
 */
export function ownTarballRules(name: string | undefined): string[] {
  return name ? [`${name}-*.tar.gz`] : []
}

/**
 * The rules for one extension folder: defaults, the extension's own tarballs, then the
 * folder's .provisioningignore (gitignore syntax). The file is read under the
 * untrusted-file rule: a link, a FIFO or a file over MAX_IGNORE_FILE_BYTES is a problem
 * (error), never followed, waited on or read whole.
 */
export async function loadIgnoreRules(dir: string, extensionName: string | undefined): Promise<{rules: IgnoreRules; problems: Problem[]}> {
  const matcher = ignore()
  matcher.add([...DEFAULT_IGNORE_RULES, ...ownTarballRules(extensionName)].map((pattern) => ({pattern, mark: DEFAULT_MARK})))
  const problems: Problem[] = []
  const read = await readUntrusted(path.join(dir, IGNORE_FILE), {max: MAX_IGNORE_FILE_BYTES}).catch((error: NodeJS.ErrnoException) => ({
    kind: 'unusable' as const,
    reason: `cannot be read (${error.code ?? error.message})`,
  }))
  if (read.kind === 'unusable') {
    problems.push({
      severity: 'error',
      field: IGNORE_FILE,
      message: `${IGNORE_FILE} cannot be used: ${read.reason}`,
      hint: `make ${IGNORE_FILE} a regular file of at most ${MAX_IGNORE_FILE_BYTES} bytes (links are not followed), or remove it`,
    })
  } else if (read.kind === 'data') {
    const lines = read.data.toString('utf8').split(/\r?\n/)
    matcher.add(lines.map((pattern) => ({pattern, mark: IGNORE_FILE})))
  }
  return {
    problems,
    rules: {
      excludes(relative, isDirectory) {
        const result = matcher.test(isDirectory ? `${relative}/` : relative)
        return result.ignored && result.rule ? {rule: result.rule.pattern, from: result.rule.mark ?? IGNORE_FILE} : undefined
      },
    },
  }
}
