import {readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** oclif's `--version` line (Config#userAgent): `name/version platform-arch node-vX`; false where oclif words it otherwise. */
export function printVersion(root: string): boolean {
  // oclif names these differently on Windows, WSL and 32-bit x86: there it answers itself.
  if (!['linux', 'darwin'].includes(process.platform) || os.release().toLowerCase().includes('microsoft')) return false
  if (!['x64', 'arm64'].includes(process.arch)) return false
  const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {name: string; version: string}
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
  return true
}
