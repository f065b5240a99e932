import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, type ErrorDoc, type ResolveDoc, writeExtension} from '../helpers/deps.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface Listed {
  name: string
  latest?: string
  onlyPrerelease?: string
}

/**
 * "Latest" is the highest stable version in every command (SPEC §8.2), as `dep resolve`
 * already chose: pull, inspect, list, search, module discover, dep check-updates.
 * Pre-releases only with --pre; a name with nothing but pre-releases says so.
 */
describe('latest means latest stable everywhere (built CLI, layout registry)', () => {
  let box: Sandbox
  let store: string
  const cli = (args: string[], cwd = box.root) => runCli(args, {env: box.env, cwd})
  beforeAll(async () => {
    box = await sandbox()
    store = `oci-layout://${path.join(box.root, 'store')}`
    box.env.PROVISIONING_OCI__REGISTRY = store
    const dirs: string[] = []
    for (const [name, version] of [
      ['pre', '1.0.0'],
      ['pre', '1.1.0-beta.1'],
      ['onlypre', '2.0.0-rc.1'],
    ]) {
      const dir = path.join(box.root, 'src', `${name}-${version}`)
      await writeExtension(dir, {name, version, description: `${name} at ${version}`})
      dirs.push(dir)
    }
    const pushed = await cli(['oci', 'push', ...dirs])
    if (pushed.exitCode !== 0) throw new Error(pushed.stderr)
  })
  afterAll(() => box.cleanup())

  it('oci pull NAME takes 1.0.0, not 1.1.0-beta.1; --pre takes the pre-release', async () => {
    const stable = await cli(['oci', 'pull', 'pre', '--output', path.join(box.root, 'pulled-stable'), '--json'])
    expect(stable.exitCode, stable.stderr).toBe(0)
    expect(json<{reference: string}>(stable).reference).toMatch(/\/pre:1\.0\.0$/)
    const pre = await cli(['oci', 'pull', 'pre', '--pre', '--output', path.join(box.root, 'pulled-pre'), '--json'])
    expect(pre.exitCode, pre.stderr).toBe(0)
    expect(json<{reference: string}>(pre).reference).toMatch(/\/pre:1\.1\.0-beta\.1$/)
    const inspect = await cli(['oci', 'inspect', 'pre', '--json'])
    expect(json<{reference: string}>(inspect).reference).toMatch(/:1\.0\.0$/)
  })

  it('a name with only pre-releases: pull and inspect say so and hint --pre (exit 4)', async () => {
    const pull = await cli(['oci', 'pull', 'onlypre', '--output', path.join(box.root, 'nothing'), '--json'])
    expect(pull.exitCode).toBe(4)
    const doc = json<ErrorDoc>(pull)
    expect(doc.error.message).toContain('only pre-release versions (newest: 2.0.0-rc.1)')
    expect(doc.error.hint).toContain('--pre')
    const human = await cli(['oci', 'inspect', 'onlypre'])
    expect(human.exitCode).toBe(4)
    expect(human.stderr).toContain('pass --pre')
    expect((await cli(['oci', 'inspect', 'onlypre', '--pre'])).exitCode).toBe(0)
  })

  it('oci copy NAME of a pre-release-only name hints --pre, and oci copy --pre takes it', async () => {
    const mirror = `oci-layout://${path.join(box.root, 'mirror')}`
    const stable = await cli(['oci', 'copy', 'onlypre', `${mirror}/onlypre`, '--json'])
    expect(stable.exitCode, stable.stderr).toBe(4)
    expect(json<ErrorDoc>(stable).error.hint).toContain('pass --pre')
    const pre = await cli(['oci', 'copy', 'onlypre', `${mirror}/onlypre`, '--pre', '--json'])
    expect(pre.exitCode, pre.stderr).toBe(0)
    expect(json<{destination: string}>(pre).destination).toBe(`${mirror}/onlypre:2.0.0-rc.1`)
    expect(json<{source: string}>(pre).source).toMatch(/\/onlypre:2\.0\.0-rc\.1$/)
  })

  it('oci list and oci search show the latest stable version; --pre shows pre-releases', async () => {
    const list = json<{extensions: Array<Listed & {versions: number}>}>(await cli(['oci', 'list', '--json']))
    expect(list.extensions).toEqual([
      {name: 'onlypre', repository: 'provisioning-extensions/onlypre', onlyPrerelease: '2.0.0-rc.1', versions: 1},
      {name: 'pre', repository: 'provisioning-extensions/pre', latest: '1.0.0', versions: 2},
    ])
    const human = await cli(['oci', 'list'])
    expect(human.stdout).toMatch(/onlypre\s+- \(pre-release 2\.0\.0-rc\.1 only: --pre\)/)
    expect(human.stdout).toMatch(/pre\s+1\.0\.0\s+2/)
    const listPre = json<{extensions: Listed[]}>(await cli(['oci', 'list', '--pre', '--json']))
    expect(listPre.extensions.map((e) => [e.name, e.latest])).toEqual([
      ['onlypre', '2.0.0-rc.1'],
      ['pre', '1.1.0-beta.1'],
    ])

    const search = json<{matches: Array<Listed & {description: string}>}>(await cli(['oci', 'search', 'pre', '--json']))
    expect(search.matches.map((m) => [m.name, m.latest, m.onlyPrerelease, m.description])).toEqual([
      ['onlypre', undefined, '2.0.0-rc.1', 'onlypre at 2.0.0-rc.1'],
      // The description is the latest stable version's.
      ['pre', '1.0.0', undefined, 'pre at 1.0.0'],
    ])
    const searchPre = json<{matches: Listed[]}>(await cli(['oci', 'search', 'pre', '--pre', '--json']))
    expect(searchPre.matches.map((m) => m.latest)).toEqual(['2.0.0-rc.1', '1.1.0-beta.1'])
  })

  it('module discover, dep resolve and dep check-updates agree on 1.0.0', async () => {
    const ws = await bareWorkspace(box.root, 'ws')
    await declare(ws, {registry: store}, {taskservs: ['pre']})
    const discovered = json<{modules: Array<{name: string; version?: string; onlyPrerelease?: string; source: string}>}>(
      await cli(['module', 'discover', 'taskserv', 'pre', '--json'], ws),
    )
    expect(discovered.modules.filter((m) => m.source === 'registry').map((m) => [m.name, m.version, m.onlyPrerelease])).toEqual([
      ['onlypre', undefined, '2.0.0-rc.1'],
      ['pre', '1.0.0', undefined],
    ])
    const withPre = json<{modules: Array<{name: string; version?: string}>}>(await cli(['module', 'discover', 'taskserv', 'pre', '--pre', '--json'], ws))
    expect(withPre.modules.map((m) => m.version)).toEqual(['2.0.0-rc.1', '1.1.0-beta.1'])

    const resolved = await depResolve(ws, box.env, ['--json'])
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    expect(json<ResolveDoc>(resolved).order.map((e) => `${e.name}@${e.version}`)).toEqual(['pre@1.0.0'])
    const updates = json<{extensions: Array<{name: string; latest?: string}>}>(await cli(['dep', 'check-updates', '--json'], ws))
    expect(updates.extensions).toEqual([expect.objectContaining({name: 'pre', latest: '1.0.0'})])
  })
})
