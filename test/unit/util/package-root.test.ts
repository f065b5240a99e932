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

  it.runIf(existsSync(path.join(repoRoot, 'dist', 'lib', 'util', 'package-root.js')))(
    'is the repository root from the tsc build (dist/lib/util/)',
    async () => {
      const built = (await import(pathToFileURL(path.join(repoRoot, 'dist', 'lib', 'util', 'package-root.js')).href)) as {packageRoot: string}
      expect(built.packageRoot).toBe(repoRoot)
    },
  )

  // In the bundle the lookup lands in some chunk, a different depth below the root.
  it.runIf(existsSync(BUNDLE_CHUNKS))('is the repository root from the fast-path bundle (dist/fast/chunks/)', async () => {
    const chunks = readdirSync(BUNDLE_CHUNKS).filter((chunk) => readFileSync(path.join(BUNDLE_CHUNKS, chunk), 'utf8').includes('function findPackageRoot('))
    expect(chunks).toHaveLength(1)
    const exported = Object.values((await import(pathToFileURL(path.join(BUNDLE_CHUNKS, chunks[0])).href)) as Record<string, unknown>)
    const bundled = exported.find((value): value is () => string => typeof value === 'function' && value.name === 'templatePath')
    expect(bundled?.()).toBe(path.join(repoRoot, 'templates'))
  })
})
