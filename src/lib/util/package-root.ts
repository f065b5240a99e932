import {fileURLToPath} from 'node:url'
import path from 'node:path'

// This file sits at src/lib/util/ (sources) or dist/lib/util/ (build): the package root
// is three levels up in both, which lets vitest and the built CLI share one lookup.
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

export function templatePath(...segments: string[]): string {
  return path.join(packageRoot, 'templates', ...segments)
}
