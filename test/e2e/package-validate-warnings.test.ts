import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {type ErrorDoc, writeExtension} from '../helpers/deps.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface ValidateDoc {
  valid: boolean
  errors: Array<{field: string}>
  warnings: Array<{severity: string; field: string; message: string; hint: string; suggestion?: string}>
}

describe('oci package validate warns about unknown manifest fields (built CLI)', () => {
  let box: Sandbox
  const cli = (args: string[]) => runCli(args, {env: box.env, cwd: box.root})
  beforeAll(async () => {
    box = await sandbox()
  })
  afterAll(() => box.cleanup())

  it('a typo is a warning naming the closest known field; the exit code stays 0', async () => {
    const dir = path.join(box.root, 'typo')
    await writeExtension(dir, {name: 'typo', version: '1.0.0', dependancies: {etcd: '^3'}, licence: 'MIT', x_vendor_note: 'kept'})
    const human = await cli(['oci', 'package', 'validate', dir])
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stdout).toContain('typo@1.0.0 (taskserv) is valid, with 3 warning(s):')
    expect(human.stdout).toContain('  - dependancies: unknown field "dependancies" is ignored\n      did you mean dependencies?')
    expect(human.stdout).toContain('did you mean license?')

    const result = await cli(['oci', 'package', 'validate', dir, '--json'])
    expect(result.exitCode).toBe(0)
    const doc = json<ValidateDoc>(result)
    expect(doc.valid).toBe(true)
    expect(doc.errors).toEqual([])
    expect(doc.warnings.map((w) => [w.field, w.suggestion])).toEqual([
      ['dependancies', 'dependencies'],
      ['licence', 'license'],
      ['x_vendor_note', undefined],
    ])
    expect(doc.warnings.every((w) => w.severity === 'warning')).toBe(true)
    expect(doc.warnings[2].hint).toContain('known fields: name, type, version')
  })

  it('a clean manifest has no warnings; an invalid one still fails (exit 10) and lists the warnings beside the errors', async () => {
    const clean = path.join(box.root, 'clean')
    await writeExtension(clean, {name: 'clean', version: '1.0.0'})
    const ok = await cli(['oci', 'package', 'validate', clean, '--json'])
    expect(ok.exitCode).toBe(0)
    expect(json<ValidateDoc>(ok).warnings).toEqual([])
    expect((await cli(['oci', 'package', 'validate', clean])).stdout.trim()).toBe('clean@1.0.0 (taskserv) is valid')

    const broken = path.join(box.root, 'broken')
    await writeExtension(broken, {name: 'broken', version: 'one', verison: '1.0.0'})
    const failed = await cli(['oci', 'package', 'validate', broken, '--json'])
    expect(failed.exitCode).toBe(10)
    const problems = json<ErrorDoc>(failed).error.details.problems as ValidateDoc['warnings']
    expect(problems).toEqual(expect.arrayContaining([
      expect.objectContaining({severity: 'error', field: 'version'}),
      expect.objectContaining({severity: 'warning', field: 'verison', suggestion: 'version'}),
    ]))
  })
})
