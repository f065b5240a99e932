import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, describe, expect, it} from 'vitest'

import {repoRoot, tempDir} from '../helpers/cli.js'

describe('the quickstart (scripts/quickstart.sh on the built CLI)', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  it('publishes to, and resolves from, the namespace it shows', async () => {
    const {dir, cleanup} = await tempDir('prov-quickstart-')
    cleanups.push(cleanup)
    const env: Record<string, string | undefined> = {TMPDIR: dir, NO_COLOR: '1', QUICKSTART_SKIP_BUILD: '1'}
    for (const key of Object.keys(process.env)) if (key.startsWith('PROVISIONING_')) env[key] = undefined
    const run = await execa('bash', [path.join(repoRoot, 'scripts', 'quickstart.sh')], {env, reject: false, timeout: 300_000})
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0)

    const shown = /^oci\.namespace = "([^"]+)"$/m.exec(run.stdout)?.[1]
    expect(shown).toBeDefined()
    expect(run.stdout).toContain(`==> publishing to namespace ${shown}`)
    expect(/^namespace:\s+(\S+)$/m.exec(run.stdout)?.[1]).toBe(shown)

    const pushed = [...run.stdout.matchAll(/^pushed [^/\s]+\/(\S+)\/[^/\s]+:\S+\s/gm)].map((m) => m[1])
    expect(pushed.length).toBeGreaterThanOrEqual(18)
    expect(new Set(pushed)).toEqual(new Set([shown]))

    const lockFile = /wrote (\S+provisioning\.lock)/.exec(run.stdout)?.[1]
    expect(lockFile).toBeDefined()
    const references = [...(await readFile(lockFile as string, 'utf8')).matchAll(/^\s+reference: [^/\s]+\/(\S+)\/[^/\s]+:\S+$/gm)].map((m) => m[1])
    expect(references.length).toBeGreaterThan(0)
    expect(new Set(references)).toEqual(new Set([shown]))
  }, 320_000)
})
