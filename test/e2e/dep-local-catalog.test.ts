import {execFileSync} from 'node:child_process'
import {mkdir, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, type ErrorDoc, spawnMeasured, writeExtension} from '../helpers/deps.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

const GROUPS = ['providers', 'taskservs', 'clusters'] as const
const TYPES = ['provider', 'taskserv', 'cluster'] as const

/** dep validate's problems (exit 10, E_VALIDATION). */
const problemsOf = (result: CliResult) => {
  const {error} = json<ErrorDoc>(result)
  expect(error.code).toBe('E_VALIDATION')
  return error.details.problems as Array<{kind: string; name?: string; message: string}>
}

/**
 * A local source (SPEC §9.1 source_type local) read by the built CLI: a large catalog is
 * validated in bounded time (cold and warm parse cache), and invalid manifests are named
 * with their reasons (dep resolve: exit 3; dep validate lists each as a problem, exit 10).
 */
describe('dep validate on a local source', () => {
  let box: Sandbox
  beforeAll(async () => {
    box = await sandbox()
  })
  afterAll(async () => {
    await box?.cleanup()
  })

  it('validates a catalog of 10,000 versions (2,000 names × 5) in bounded time, cold and warm', async () => {
    const names = 2000
    const src = path.join(box.root, 'big-src')
    const id = (i: number) => `ext${String(i).padStart(5, '0')}`
    // Short chains of ten (ext0 -> ext1 -> … -> ext9), each also reaching two ahead.
    const writes: Array<Promise<void>> = []
    for (let i = 0; i < names; i++) {
      for (let v = 0; v < 5; v++) {
        const dir = path.join(src, GROUPS[i % 3], id(i), `1.${v}.0`)
        const deps = [i % 10 !== 9 ? `  ${id(i + 1)}: ">=1.0.0"` : '', i % 10 < 8 ? `  ${id(i + 2)}: "^1.${v % 3}"` : ''].filter(Boolean)
        const text = `name: ${id(i)}\ntype: ${TYPES[i % 3]}\nversion: "1.${v}.0"\ndescription: synthetic\nlicense: Apache-2.0\n${deps.length > 0 ? `dependencies:\n${deps.join('\n')}\n` : ''}`
        writes.push(mkdir(dir, {recursive: true}).then(() => writeFile(path.join(dir, 'manifest.yaml'), text)))
      }
    }
    await Promise.all(writes)
    const ws = await bareWorkspace(box.root, 'big')
    // Roots at the start of chains: 3 chains of 10 names = 30 extensions.
    await declare(ws, {local: src}, {providers: [id(0), id(990)], taskservs: [{name: id(1900), version: '^1.2'}]})

    const run = async () => {
      const {result, ms} = await spawnMeasured(['dep', 'validate', '--json'], {env: box.env, cwd: ws})
      expect(result.exitCode, result.stderr).toBe(0)
      expect(json<{valid: boolean; extensions: number}>(result)).toMatchObject({valid: true, extensions: 30})
      return ms
    }
    const cold = await run()
    const warm = await run()
    console.log(`dep validate, local source of 10,000 versions: cold parse cache ${cold} ms, warm ${warm} ms`)
    // Generous bounds on a shared machine (two cores, other suites running); bench/ holds the real figures.
    expect(cold).toBeLessThan(30_000)
    expect(warm).toBeLessThan(10_000)

    // The warm cache does not hide an edit: a manifest changed to depend on itself is refused.
    const edited = path.join(src, 'taskservs', id(1900), '1.3.0', 'manifest.yaml')
    await writeFile(edited, `name: ${id(1900)}\ntype: taskserv\nversion: "1.3.0"\ndependencies:\n  ${id(1900)}: "*"\n`)
    const result = await runCli(['dep', 'validate', '--json'], {env: box.env, cwd: ws})
    expect(result.exitCode).toBe(10)
    expect(problemsOf(result)).toEqual([
      {
        kind: 'manifest',
        name: id(1900),
        message: `${edited} has invalid extension metadata:\n  - dependencies.${id(1900)}: the extension "${id(1900)}" lists itself in dependencies`,
        hint: expect.any(String),
      },
    ])
  })

  it('a self-dependent manifest is exit 3 for resolve, a problem of dep validate (exit 10), naming the file and the reason', async () => {
    const src = path.join(box.root, 'self-src')
    await writeExtension(path.join(src, 'taskservs', 'x'), {name: 'x', version: '1.0.0', dependencies: {x: '*'}})
    const ws = await bareWorkspace(box.root, 'self')
    await declare(ws, {local: src}, {taskservs: ['x']})
    const file = path.join(src, 'taskservs', 'x', 'manifest.yaml')
    const result = await runCli(['dep', 'resolve', '--json'], {env: box.env, cwd: ws})
    expect(result.exitCode).toBe(3)
    const {error} = json<ErrorDoc>(result)
    expect(error.code).toBe('E_CONFIG')
    expect(error.message).toBe(`${file} has invalid extension metadata:\n  - dependencies.x: the extension "x" lists itself in dependencies`)
    expect(error.details).toEqual({where: file, problems: ['dependencies.x: the extension "x" lists itself in dependencies']})
    // dep validate lists it as its one problem (x has no valid version: not listed again as missing).
    const validated = await runCli(['dep', 'validate', '--json'], {env: box.env, cwd: ws})
    expect(validated.exitCode).toBe(10)
    expect(problemsOf(validated).map((p) => p.message)).toEqual([error.message])
    const human = await runCli(['dep', 'validate'], {env: box.env, cwd: ws})
    expect(human.exitCode).toBe(10)
    expect(human.stderr).toContain('dependencies.x: the extension "x" lists itself in dependencies')
  })

  it('a FIFO or a link to /dev/zero as a manifest is a problem at once, naming the file', async () => {
    const src = path.join(box.root, 'fifo-src')
    await writeExtension(path.join(src, 'taskservs', 'ok'), {name: 'ok', version: '1.0.0'})
    const fifo = path.join(src, 'taskservs', 'pipe', 'manifest.yaml')
    const zero = path.join(src, 'providers', 'zero', '1.0.0', 'manifest.yaml')
    await mkdir(path.dirname(fifo), {recursive: true})
    await mkdir(path.dirname(zero), {recursive: true})
    execFileSync('mkfifo', [fifo])
    await symlink('/dev/zero', zero)
    const ws = await bareWorkspace(box.root, 'fifo')
    await declare(ws, {local: src}, {taskservs: ['ok']})
    const result = await runCli(['dep', 'validate', '--json'], {env: box.env, cwd: ws})
    expect(result.exitCode).toBe(10)
    expect(problemsOf(result).map((p) => p.message)).toEqual([
      `${zero} has invalid extension metadata:\n  - manifest.yaml: cannot be used: not a regular file (a symbolic link)`,
      `${fifo} has invalid extension metadata:\n  - manifest.yaml: cannot be used: not a regular file (a FIFO)`,
    ])
    const resolved = await runCli(['dep', 'resolve', '--json'], {env: box.env, cwd: ws})
    expect(resolved.exitCode).toBe(3)
    expect(json<ErrorDoc>(resolved).error.message.split('\n')).toEqual([
      `2 manifests of the local extension source ${src} are invalid:`,
      `  ${zero}:`,
      '    - manifest.yaml: cannot be used: not a regular file (a symbolic link)',
      `  ${fifo}:`,
      '    - manifest.yaml: cannot be used: not a regular file (a FIFO)',
    ])
  })

  it('every invalid manifest of the source is listed in one run (dep validate: exit 10, dep resolve: exit 3)', async () => {
    const src = path.join(box.root, 'many-src')
    await writeExtension(path.join(src, 'taskservs', 'ok'), {name: 'ok', version: '1.0.0', dependencies: {a: '*'}})
    await writeExtension(path.join(src, 'taskservs', 'a', '1.0.0'), {name: 'a', version: '1.0.0', optional: ['a']})
    await writeExtension(path.join(src, 'taskservs', 'b', '2.0.0'), {name: 'b', version: 'two'})
    await writeExtension(path.join(src, 'clusters', 'c'), {name: 'c', type: 'clusters', version: '1.0.0'})
    const ws = await bareWorkspace(box.root, 'many')
    await declare(ws, {local: src}, {taskservs: ['ok']})
    const validated = await runCli(['dep', 'validate', '--json'], {env: box.env, cwd: ws})
    expect(validated.exitCode).toBe(10)
    expect(problemsOf(validated).map((p) => [p.kind, p.name])).toEqual([
      ['manifest', 'a'],
      ['manifest', 'b'],
      ['manifest', 'c'],
    ])
    const result = await runCli(['dep', 'resolve', '--json'], {env: box.env, cwd: ws})
    expect(result.exitCode).toBe(3)
    const {error} = json<ErrorDoc>(result)
    expect(error.message.split('\n')).toEqual([
      `3 manifests of the local extension source ${src} are invalid:`,
      `  ${path.join(src, 'taskservs', 'a', '1.0.0', 'manifest.yaml')}:`,
      '    - optional.a: the extension "a" lists itself in optional',
      `  ${path.join(src, 'taskservs', 'b', '2.0.0', 'manifest.yaml')}:`,
      '    - version: version "two" is not a valid semantic version',
      `  ${path.join(src, 'clusters', 'c', 'manifest.yaml')}:`,
      '    - type: type must be one of provider, taskserv, cluster, got "clusters"',
    ])
    expect(error.details.invalid).toBe(3)
  })
})
