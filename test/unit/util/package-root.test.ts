import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, it} from 'vitest'

import {packageRoot, templatePath} from '../../../src/lib/util/package-root.js'
import {repoRoot} from '../../helpers/cli.js'

const BUNDLE_CHUNKS = path.join(repoRoot, 'dist', 'fast', 'chunks')

describe('packageRoot', () => {
  it('is the repository root from the sources', () => {
    expect(packageRoot).toBe(repoRoot)
    expect(existsSync(templatePath('config.defaults.toml'))).toBe(true)
  })

  // Both builds come from `npm run build`, which `npm test` runs first (as the e2e tests need it).
  it('is the repository root from the tsc build (dist/lib/util/)', async () => {
    expect(existsSync(path.join(repoRoot, 'dist', 'lib', 'util', 'package-root.js')), 'run npm run build first').toBe(true)
    const built = (await import(pathToFileURL(path.join(repoRoot, 'dist', 'lib', 'util', 'package-root.js')).href)) as {packageRoot: string}
    expect(built.packageRoot).toBe(repoRoot)
  })

  // In the bundle the lookup lands in some chunk, a different depth below the root.
  it('is the repository root from the fast-path bundle (dist/fast/chunks/)', async () => {
    expect(existsSync(BUNDLE_CHUNKS), 'run npm run build first').toBe(true)
    const chunks = readdirSync(BUNDLE_CHUNKS).filter((chunk) => readFileSync(path.join(BUNDLE_CHUNKS, chunk), 'utf8').includes('function findPackageRoot('))
    expect(chunks).toHaveLength(1)
    const exported = Object.values((await import(pathToFileURL(path.join(BUNDLE_CHUNKS, chunks[0])).href)) as Record<string, unknown>)
    const bundled = exported.find((value): value is () => string => typeof value === 'function' && value.name === 'templatePath')
    expect(bundled?.()).toBe(path.join(repoRoot, 'templates'))
  })
})
