import {readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {FastPath} from '../fast-path.js'
import {writeStdout} from './stdout.js'

/** The bundle's entry (fast-path.ts FAST_PATH_BUNDLES): false sends the run to oclif. */
export async function run(_fast: FastPath, root: string): Promise<boolean> {
  return printVersion(root)
}

/** oclif's `--version` line (Config#userAgent): `name/version platform-arch node-vX`; false where oclif words it otherwise. */
export function printVersion(root: string): boolean {
  // oclif names these differently on Windows, WSL and 32-bit x86: there it answers itself.
  if (!['linux', 'darwin'].includes(process.platform) || os.release().toLowerCase().includes('microsoft')) return false
  if (!['x64', 'arm64'].includes(process.arch)) return false
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {name: string; version: string}
  writeStdout(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
  return true
}
