import {spawnSync} from 'node:child_process'
import {chmod} from 'node:fs/promises'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {repoRoot} from './cli.js'

/** The suite runs as root in CI containers, and root reads any file whatever its mode bits. */
export const isRoot = process.getuid?.() === 0

/** Debian's `nobody`: a user for whom chmod 000 really means unreadable. */
const NOBODY = 65534

/** A module of the built CLI (dist/), as an import() specifier for a child process. */
export const distModule = (relative: string): string => pathToFileURL(path.join(repoRoot, 'dist', relative)).href

/**
 * Runs an ES module snippet as `nobody` and returns the JSON it prints: what the code under
 * test does for an ordinary user. `dir` (a temp folder root made by mkdtemp, mode 0700) is
 * opened to others so that nobody can reach the files inside it.
 */
export async function runAsNobody<T>(dir: string, script: string): Promise<T> {
  await chmod(dir, 0o755)
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    uid: NOBODY,
    gid: NOBODY,
    cwd: dir,
    env: {PATH: process.env.PATH, HOME: dir},
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`as nobody (exit ${result.status}): ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}
