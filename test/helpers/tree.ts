import {lstat, readdir, readFile, readlink} from 'node:fs/promises'
import path from 'node:path'

/** One entry of a folder tree: type, permission bits (octal text, for readable diffs), bytes. */
export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink'
  mode: string
  content?: Buffer
  target?: string
}

/**
 * Every file, folder and symlink under `root` (relative POSIX paths, sorted) with its mode and
 * bytes, so two trees compare with a single toEqual.
 */
export async function readTree(root: string): Promise<Record<string, TreeEntry>> {
  const out: Record<string, TreeEntry> = {}
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir)).sort()
    for (const name of names) {
      const full = path.join(dir, name)
      const rel = path.relative(root, full).split(path.sep).join('/')
      const stat = await lstat(full)
      const mode = (stat.mode & 0o7777).toString(8)
      if (stat.isSymbolicLink()) out[rel] = {type: 'symlink', mode, target: await readlink(full)}
      else if (stat.isDirectory()) {
        out[rel] = {type: 'dir', mode}
        await walk(full)
      } else out[rel] = {type: 'file', mode, content: await readFile(full)}
    }
  }
  await walk(root)
  return out
}

/** Only the regular files of a tree (folder modes depend on the extractor's umask handling). */
export async function readFiles(root: string): Promise<Record<string, TreeEntry>> {
  return Object.fromEntries(Object.entries(await readTree(root)).filter(([, entry]) => entry.type !== 'dir'))
}

/** Every file under a folder (e.g. a registry's or layout's blob store), sorted: to show nothing was uploaded. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
}
