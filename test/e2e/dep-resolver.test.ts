import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {json} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, type ErrorDoc, readLock, writeExtension} from '../helpers/deps.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * Issue 11 through the built CLI on local sources: shapes the old backtracking resolver
 * called unsatisfiable (a lowest-only solution, a cycle avoidable by an older version) now
 * install, and a failure explains itself from the derivation, in text and in --json.
 */
describe('dep resolve: a complete resolver, explained', () => {
  let box: Sandbox
  beforeAll(async () => {
    box = await sandbox()
  })
  afterAll(async () => {
    await box?.cleanup()
  })

  const lockedVersions = async (ws: string) => {
    const lock = YAML.parse((await readLock(ws)) as string) as {extensions: Array<{name: string; version: string}>}
    return Object.fromEntries(lock.extensions.map((e) => [e.name, e.version]))
  }

  it('installs the only solution of a chain whose every newer version leads to a missing extension', async () => {
    const src = path.join(box.root, 'chain-src')
    for (let level = 0; level < 14; level++) {
      for (let patch = 1; patch <= 3; patch++) {
        await writeExtension(path.join(src, 'taskservs', `level${level}`, `1.0.${patch}`), {
          name: `level${level}`,
          version: `1.0.${patch}`,
          dependencies: {[`level${level + 1}`]: '*'},
        })
      }
    }
    await writeExtension(path.join(src, 'taskservs', 'level0', '1.0.0'), {name: 'level0', version: '1.0.0'})
    const ws = await bareWorkspace(box.root, 'chain')
    await declare(ws, {local: src}, {taskservs: ['level0']})
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await lockedVersions(ws)).toEqual({level0: '1.0.0'})

    // Asking for the newer versions is unsatisfiable, and the message names the missing extension and its chain.
    await declare(ws, {local: src}, {taskservs: [{name: 'level0', version: '>=1.0.1'}]})
    const failed = await depResolve(ws, box.env)
    expect(failed.exitCode).toBe(5)
    expect(failed.stderr).toContain(`no extension named "level14" exists in the local source ${src}`)
    expect(failed.stderr).toContain('workspace -> level0@(>=1.0.1) -> level1 -> level2')
    expect(failed.stderr).not.toMatch(/too many combinations|gave up/)
    expect(failed.stderr.split('\n').length).toBeLessThan(60)
  })

  it('avoids a dependency cycle by installing an older version', async () => {
    const src = path.join(box.root, 'cycle-src')
    await writeExtension(path.join(src, 'taskservs', 'app', '1.1.0'), {name: 'app', version: '1.1.0', dependencies: {lib: '*'}})
    await writeExtension(path.join(src, 'taskservs', 'app', '1.0.0'), {name: 'app', version: '1.0.0'})
    await writeExtension(path.join(src, 'taskservs', 'lib', '1.0.0'), {name: 'lib', version: '1.0.0', dependencies: {app: '*'}})
    const ws = await bareWorkspace(box.root, 'cycle')
    await declare(ws, {local: src}, {taskservs: ['app']})
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(await lockedVersions(ws)).toEqual({app: '1.0.0'})
  })

  it('explains a branching failure with both branches, numbered shared steps and the declaring line, also as --json', async () => {
    const src = path.join(box.root, 'branch-src')
    const ext = (name: string, version: string, dependencies: Record<string, string> = {}) =>
      writeExtension(path.join(src, 'taskservs', name, version), {name, version, dependencies})
    await ext('foo', '1.0.0', {a: '^1.0.0', b: '^1.0.0'})
    await ext('foo', '1.1.0', {x: '^1.0.0', y: '^1.0.0'})
    await ext('a', '1.0.0', {b: '^2.0.0'})
    await ext('b', '1.0.0')
    await ext('b', '2.0.0')
    await ext('x', '1.0.0', {y: '^2.0.0'})
    await ext('y', '1.0.0')
    await ext('y', '2.0.0')
    const ws = await bareWorkspace(box.root, 'branch')
    await declare(ws, {local: src}, {taskservs: [{name: 'foo', version: '^1.0.0'}]})
    const line = (await readFile(path.join(ws, 'config', 'provisioning.yaml'), 'utf8')).split('\n').findIndex((l) => l.includes('name: foo')) + 1
    expect(line).toBeGreaterThan(0)

    const human = await depResolve(ws, box.env)
    expect(human.exitCode).toBe(5)
    expect(human.stderr).toContain('(1) So, because foo 1.0.0 depends on b ^1.0.0, foo 1.0.0 cannot be installed.')
    expect(human.stderr).toContain('And because foo 1.0.0 cannot be installed (1), no version of foo can be installed.')
    expect(human.stderr).toContain(`So, because the workspace depends on foo ^1.0.0 (config/provisioning.yaml:${line}), the workspace cannot be resolved.`)
    expect(human.stderr).toMatch(/Hint: /)

    const {error} = json<ErrorDoc>(await depResolve(ws, box.env, ['--json']))
    expect(error).toMatchObject({code: 'E_RESOLUTION', exit: 5, details: {kind: 'unsatisfiable'}})
    const derivation = error.details.derivation as {steps: number; lines: Array<{text: string; number?: number}>; facts: Array<{kind: string; text: string}>}
    expect(derivation.lines).toContainEqual({number: 1, text: 'So, because foo 1.0.0 depends on b ^1.0.0, foo 1.0.0 cannot be installed.'})
    expect(derivation.facts).toContainEqual({kind: 'requirement', text: `the workspace depends on foo ^1.0.0 (config/provisioning.yaml:${line})`})
    expect(derivation.steps).toBeGreaterThan(3)
    expect(await readLock(ws)).toBeUndefined()
  })
})
