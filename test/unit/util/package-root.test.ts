import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, it} from 'vitest'

import {packageRoot, templatePath} from '../../../src/lib/util/package-root.js'
import {repoRoot, runCli, tempDir} from '../../helpers/cli.js'

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

  // In a fast-path bundle (dist/fast/NAME.cjs) the lookup runs from another depth: `config get`
  // through its bundle must still find the shipped defaults (templates/) from there.
  it('is the repository root from the fast-path bundles (dist/fast/)', async () => {
    expect(existsSync(path.join(repoRoot, 'dist', 'fast', 'config-get.cjs')), 'run npm run build first').toBe(true)
    const {dir, cleanup} = await tempDir()
    try {
      const env = {PROVISIONING_HOME: path.join(dir, 'home'), XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache')}
      const result = await runCli(['config', 'get', 'oci.registry'], {env, cwd: dir})
      expect(result).toMatchObject({exitCode: 0, stdout: 'localhost:5000'})
      // The bundle ran (it left its code cache), not oclif.
      expect(
        readdirSync(path.join(dir, 'cache', 'provisioning', 'node-compile', 'bundles'), {recursive: true}).some((f) => /config-get-.*\.v8$/.test(String(f))),
      ).toBe(true)
    } finally {
      await cleanup()
    }
  })
})
