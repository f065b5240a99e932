import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

// This file runs from src/lib/util/ (vitest), dist/lib/util/ (tsc build) or a chunk of
// dist/fast/ (esbuild): each sits at its own depth, so the root is the nearest folder
// holding a package.json (neither dist/ nor dist/fast/ has one).
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}

export const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)))

export function templatePath(...segments: string[]): string {
  return path.join(packageRoot, 'templates', ...segments)
}
