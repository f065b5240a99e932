import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {type ErrorDoc, writeExtension} from '../helpers/deps.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface Problem {
  severity: string
  field: string
  message: string
  hint: string
  suggestion?: string
}

interface ValidateDoc {
  valid: boolean
  /** Counts, as before the lists were added: scripts check `.errors == 0`. */
  errors: number
  warnings: number
  problems: Problem[]
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
    expect(doc.errors).toBe(0)
    expect(doc.warnings).toBe(3)
    expect(doc.problems.map((w) => [w.severity, w.field, w.suggestion])).toEqual([
      ['warning', 'dependancies', 'dependencies'],
      ['warning', 'licence', 'license'],
      ['warning', 'x_vendor_note', undefined],
    ])
    expect(doc.problems[2].hint).toContain('known fields: name, type, version')
  })

  it('a clean manifest has no warnings; an invalid one still fails (exit 10) and lists the warnings beside the errors', async () => {
    const clean = path.join(box.root, 'clean')
    await writeExtension(clean, {name: 'clean', version: '1.0.0'})
    const ok = await cli(['oci', 'package', 'validate', clean, '--json'])
    expect(ok.exitCode).toBe(0)
    expect(json<ValidateDoc>(ok)).toMatchObject({errors: 0, warnings: 0, problems: []})
    expect((await cli(['oci', 'package', 'validate', clean])).stdout.trim()).toBe('clean@1.0.0 (taskserv) is valid')

    const broken = path.join(box.root, 'broken')
    await writeExtension(broken, {name: 'broken', version: 'one', verison: '1.0.0'})
    const failed = await cli(['oci', 'package', 'validate', broken, '--json'])
    expect(failed.exitCode).toBe(10)
    const problems = json<ErrorDoc>(failed).error.details.problems as Problem[]
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({severity: 'error', field: 'version'}),
        expect.objectContaining({severity: 'warning', field: 'verison', suggestion: 'version'}),
      ]),
    )
  })

  it("oci package and oci push publish a typo'd field, but say so on stderr with the suggestion (and in --json)", async () => {
    const dir = path.join(box.root, 'pushed-typo')
    await writeExtension(dir, {name: 'pushedtypo', version: '1.0.0', dependancies: {etcd: '^3'}})
    const env = {...box.env, PROVISIONING_OCI__REGISTRY: `oci-layout://${path.join(box.root, 'store')}`}
    const expectWarned = (result: Awaited<ReturnType<typeof cli>>) => {
      expect(result.exitCode, result.stderr).toBe(0)
      expect(result.stderr).toContain(`warning: ${dir}: dependancies: unknown field "dependancies" is ignored (did you mean dependencies?)`)
    }
    const pushed = await runCli(['oci', 'push', dir], {env, cwd: box.root})
    expectWarned(pushed)
    const pushedJson = await runCli(['oci', 'push', dir, '--json'], {env, cwd: box.root})
    expectWarned(pushedJson)
    expect(json<{warnings: Problem[]}>(pushedJson).warnings).toEqual([
      expect.objectContaining({severity: 'warning', field: 'dependancies', suggestion: 'dependencies'}),
    ])
    // A batch names each folder.
    const other = path.join(box.root, 'clean-batch')
    await writeExtension(other, {name: 'cleanbatch', version: '1.0.0'})
    const batch = await runCli(['oci', 'push', dir, other, '--json'], {env, cwd: box.root})
    expectWarned(batch)
    expect(batch.stderr).not.toContain(`${other}:`)
    expect(json<{pushed: Array<{name: string; warnings: Problem[]}>}>(batch).pushed.map((p) => [p.name, p.warnings.length])).toEqual([
      ['pushedtypo', 1],
      ['cleanbatch', 0],
    ])
    const packaged = await cli(['oci', 'package', dir, '--output', box.root, '--json'])
    expectWarned(packaged)
    expect(json<{warnings: Problem[]}>(packaged).warnings.map((w) => w.suggestion)).toEqual(['dependencies'])
    const quiet = await cli(['oci', 'package', path.join(box.root, 'clean'), '--output', box.root])
    expect(quiet.exitCode, quiet.stderr).toBe(0)
    expect(quiet.stderr).not.toContain('warning')
  })
})
