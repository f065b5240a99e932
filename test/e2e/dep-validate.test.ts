import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, type ErrorDoc, type Modules, publish, writeExtension} from '../helpers/deps.js'
import {pushArtifact} from '../helpers/registry-http.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

const EXTENSION_ARTIFACT = 'application/vnd.provisioning.extension.v1'
const EXTENSION_CONFIG = 'application/vnd.provisioning.extension.config.v1+json'

interface Problem {
  kind: string
  message: string
  hint?: string
  name?: string
  roots?: string[]
}

/**
 * Issue 12 item 8: `dep validate` lists every independent problem (SPEC §9.3), each with its
 * own explanation, in text and in --json details.problems, exit 10, never the same twice.
 */
describe('dep validate lists every problem', () => {
  let registry: RegistryHandle
  let box: Sandbox
  let src: string
  const ext = async (name: string, version: string, fields: Record<string, unknown> = {}) => {
    const dir = path.join(src, 'taskservs', name, version)
    await writeExtension(dir, {name, version, ...fields})
    return dir
  }
  const validate = async (name: string, modules: Modules, source?: {local: string}) => {
    const ws = await bareWorkspace(box.root, name)
    await declare(ws, source ?? {registry: registry.host}, modules)
    const doc = await runCli(['dep', 'validate', '--json'], {env: box.env, cwd: ws})
    const human = await runCli(['dep', 'validate'], {env: box.env, cwd: ws})
    return {doc, human}
  }
  const problemsOf = (result: Awaited<ReturnType<typeof validate>>) => {
    expect(result.doc.exitCode, result.doc.stdout).toBe(10)
    expect(result.human.exitCode).toBe(10)
    const {error} = json<ErrorDoc>(result.doc)
    expect(error.code).toBe('E_VALIDATION')
    return error.details.problems as Problem[]
  }

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    src = path.join(box.root, 'src')
    await publish(registry.host, box.env, [
      await ext('good', '1.0.0'),
      await ext('web', '1.0.0', {dependencies: {ghost: '*'}}),
      await ext('portal', '1.0.0', {dependencies: {ghost: '*'}}),
      await ext('store', '1.0.0'),
      await ext('db', '1.0.0', {dependencies: {store: '^2'}}),
      await ext('future', '1.0.0', {min_provisioning_version: '99.0.0'}),
      await ext('cyc-a', '1.0.0', {dependencies: {'cyc-b': '*'}}),
      await ext('cyc-b', '1.0.0', {dependencies: {'cyc-a': '*'}}),
      await ext('left', '1.0.0', {conflicts: {right: '*'}}),
      await ext('right', '1.0.0'),
    ])
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  it('two independent problems: a missing extension and an unsatisfiable constraint, both explained', async () => {
    const result = await validate('two', {taskservs: ['good', 'web', 'db']})
    const problems = problemsOf(result)
    // In declaration order: web before db.
    expect(problems.map((p) => [p.kind, p.name, p.roots])).toEqual([
      ['missing', 'ghost', ['web']],
      ['unsatisfiable', 'store', ['db']],
    ])
    expect(problems[0].message).toContain(`no extension named "ghost" exists in the registry (looked for ${registry.host}/provisioning-extensions/ghost)`)
    expect(problems[1].message).toContain('workspace -> db@1.0.0 -> store ^2')
    expect(problems[1].message).toContain('available versions of store: 1.0.0')
    expect(result.human.stderr).toContain('dependency validation failed (2 problems):')
    expect(result.human.stderr).toMatch(/ {2}1\. no extension named "ghost" exists/)
    expect(result.human.stderr).toMatch(/ {2}2\. no version of store satisfies every constraint/)
  })

  it('three problems: a core version, a missing extension reached twice (listed once) and a cycle', async () => {
    const problems = problemsOf(await validate('three', {taskservs: ['web', 'portal', 'future', 'cyc-a', 'good']}))
    expect(problems.map((p) => p.kind)).toEqual(['missing', 'core-version', 'cycle'])
    expect(problems[0]).toMatchObject({name: 'ghost', roots: ['portal', 'web']})
    expect(problems[1]).toMatchObject({name: 'future', roots: ['future']})
    expect(problems[1].message).toContain('99.0.0')
    expect(problems[2].message).toMatch(/dependency cycle: cyc-(a|b) -> cyc-(a|b) -> cyc-(a|b)/)
    expect(new Set(problems.map((p) => p.message)).size).toBe(problems.length)
  })

  it('a conflict next to other problems names both sides', async () => {
    const problems = problemsOf(await validate('conflict', {taskservs: ['left', 'right', 'db']}))
    expect(problems.map((p) => p.kind).sort()).toEqual(['conflict', 'unsatisfiable'])
    const conflict = problems.find((p) => p.kind === 'conflict') as Problem
    expect(conflict.message).toContain('left')
    expect(conflict.message).toContain('right')
  })

  it('a valid workspace still validates (exit 0) and says the lockfile state', async () => {
    const {doc} = await validate('valid', {taskservs: ['good', 'store']})
    expect(doc.exitCode, doc.stdout).toBe(0)
    expect(json(doc)).toMatchObject({valid: true, extensions: 2, lockfile: 'missing'})
  })

  it('a local source: invalid manifests are listed next to the resolution problems of the valid rest', async () => {
    const local = path.join(box.root, 'local-src')
    await writeExtension(path.join(local, 'taskservs', 'broken'), {name: 'broken', version: 'two'})
    await writeExtension(path.join(local, 'taskservs', 'needs-broken'), {name: 'needs-broken', version: '1.0.0', dependencies: {broken: '*'}})
    await writeExtension(path.join(local, 'taskservs', 'lib', '1.0.0'), {name: 'lib', version: '1.0.0'})
    await writeExtension(path.join(local, 'taskservs', 'app'), {name: 'app', version: '1.0.0', dependencies: {lib: '>=2'}})
    const problems = problemsOf(await validate('local', {taskservs: ['needs-broken', 'app']}, {local}))
    expect(problems.map((p) => [p.kind, p.name])).toEqual([
      ['manifest', 'broken'],
      ['unsatisfiable', 'lib'],
    ])
    expect(problems[0].message).toBe(
      `${path.join(local, 'taskservs', 'broken', 'manifest.yaml')} has invalid extension metadata:\n  - version: version "two" is not a valid semantic version`,
    )
  })

  it('a registry artifact with refused metadata is a manifest problem next to the resolution problems of the rest (not the end of the run)', async () => {
    // Metadata no push of ours would write: what a dep resolve refuses with exit 8.
    await pushArtifact(registry.url, 'provisioning-extensions/tampered', '1.0.0', {
      config: '"just a string"',
      configMediaType: EXTENSION_CONFIG,
      artifactType: EXTENSION_ARTIFACT,
    })
    await publish(registry.host, box.env, [await ext('needs-tampered', '1.0.0', {dependencies: {tampered: '*'}})])
    const problems = problemsOf(await validate('refused', {taskservs: ['needs-tampered', 'web', 'good']}))
    expect(problems.map((p) => [p.kind, p.name])).toEqual([
      ['manifest', 'tampered'],
      ['missing', 'ghost'],
    ])
    expect(problems[0].message).toContain(`${registry.host}/provisioning-extensions/tampered:1.0.0 has invalid extension metadata`)
    expect(problems[0].hint).toContain('ask its publisher to re-publish it')
  })
})
