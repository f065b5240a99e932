import {readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {json, repoRoot, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, type ErrorDoc, lockPath, publish, readLock, writeExtension} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {readTree} from '../helpers/tree.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * The read-only dependency views (dep tree, dep why, dep check-updates, dep graph) and
 * dep update, through the built CLI against a real registry. The catalog:
 *
 *   top 1.0.0 -> mid-a ^1, mid-b ^1, optional extra ^1
 *   mid-a 1.0.0 -> base ^1.0          mid-b 1.0.0 -> base >=1.0.0, extra ^1
 *   base 1.0.0 (then 1.1.0 and 2.0.0 are published later), extra 1.0.0
 */
interface TreeDoc {
  source: string
  reverse: boolean
  tree: TreeJson[]
}
interface TreeJson {
  name: string
  version: string
  shared?: boolean
  optional?: boolean
  declared?: boolean
  truncated?: boolean
  hidden?: number
  dependencies: TreeJson[]
}
interface WhyDoc {
  name: string
  version: string
  declaredBy?: {key: string; range: string; location?: string}
  paths: Array<Array<{name: string; version: string; range?: string; optional?: true; declaredAt?: string}>>
  totalPaths: string
  omittedPaths: string
  warnings: string[]
}
interface UpdateDoc {
  dryRun: boolean
  lockWritten: boolean
  changes: Array<{name: string; type: string; from?: string; to?: string; change: string; reason?: string}>
  heldBack: Array<{name: string; version: string; reason: string}>
}
interface OutdatedDoc {
  outdated: number
  extensions: Array<{name: string; locked?: string; wanted: string; latest?: string; outdated: boolean}>
}

/** The lock's core version must be the CLI's own (no dependencies.core declared). */
const cliVersion = (JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {version: string}).version
const cli = (ws: string, env: Record<string, string>, args: string[]) => runCli(args, {env, cwd: ws})
const stripped = (text: string) => text.replace(/[ \t]+$/gm, '').trimEnd()

describe('dependency views and dep update', () => {
  let registry: RegistryHandle
  let box: Sandbox
  let ws: string
  const ext = (name: string, version: string) => path.join(box.root, 'ext', `${name}-${version}`)

  /**
   * A workspace declaring `root` 1.0.0 with a lock written directly (the views read the lock,
   * no registry): every name at 1.0.0, `graph` maps each name to its hard dependencies.
   */
  async function lockedWorkspace(name: string, graph: Record<string, string[]>): Promise<string> {
    const dir = await bareWorkspace(box.root, name)
    await declare(dir, {registry: registry.host}, {taskservs: [{name: 'root', version: '1.0.0'}]})
    const extensions = Object.entries(graph).map(([extension, deps]) => ({
      name: extension,
      type: 'taskserv',
      version: '1.0.0',
      reference: `${registry.host}/provisioning-extensions/${extension}:1.0.0`,
      digest: `sha256:${'0'.repeat(64)}`,
      dependencies: Object.fromEntries(deps.map((d) => [d, '1.0.0'])),
      optional: {},
    }))
    await writeFile(lockPath(dir), YAML.stringify({lockfile_version: 1, inputs_digest: `sha256:${'1'.repeat(64)}`, core_version: cliVersion, extensions}))
    return dir
  }

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    await writeExtension(ext('base', '1.0.0'), {name: 'base', version: '1.0.0'})
    await writeExtension(ext('extra', '1.0.0'), {name: 'extra', version: '1.0.0'})
    await writeExtension(ext('mid-a', '1.0.0'), {name: 'mid-a', version: '1.0.0', dependencies: {base: '^1.0'}})
    await writeExtension(ext('mid-b', '1.0.0'), {name: 'mid-b', version: '1.0.0', dependencies: {base: '>=1.0.0', extra: '^1'}})
    await writeExtension(ext('top', '1.0.0'), {name: 'top', version: '1.0.0', dependencies: {'mid-a': '^1', 'mid-b': '^1'}, optional: {extra: '^1'}})
    await publish(
      registry.host,
      box.env,
      ['base', 'extra', 'mid-a', 'mid-b', 'top'].map((n) => ext(n, '1.0.0')),
    )
    ws = await bareWorkspace(box.root, 'views')
    await declare(ws, {registry: registry.host}, {taskservs: [{name: 'top', version: '^1'}]})
    const resolved = await depResolve(ws, box.env)
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    // Newer versions appear after the lock was written: 1.1.0 within mid-a's ^1.0, 2.0.0 outside it.
    await writeExtension(ext('base', '1.1.0'), {name: 'base', version: '1.1.0'})
    await writeExtension(ext('base', '2.0.0'), {name: 'base', version: '2.0.0'})
    await publish(registry.host, box.env, [ext('base', '1.1.0'), ext('base', '2.0.0')])
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  describe('dep tree', () => {
    it('shows the whole tree from the lock, a node shown twice marked shared (*)', async () => {
      const result = await cli(ws, box.env, ['dep', 'tree'])
      expect(result.exitCode, result.stderr).toBe(0)
      expect(stripped(result.stdout)).toBe(
        [
          'top@1.0.0 (taskserv)',
          '├── extra@1.0.0 (optional)',
          '├── mid-a@1.0.0',
          '│   └── base@1.0.0',
          '└── mid-b@1.0.0',
          '    ├── base@1.0.0 (*)',
          '    └── extra@1.0.0 (*)',
          '',
          '(*) shared: its dependencies are shown where it appears in full',
        ].join('\n'),
      )
    })

    it('--depth marks every node whose dependencies it cut, with how many (text and JSON)', async () => {
      const text = await cli(ws, box.env, ['dep', 'tree', '--depth', '1'])
      expect(text.exitCode, text.stderr).toBe(0)
      expect(stripped(text.stdout)).toBe(
        [
          'top@1.0.0 (taskserv)',
          '├── extra@1.0.0 (optional)',
          '├── mid-a@1.0.0',
          '│   └── … 1 more (raise --depth to see them)',
          '└── mid-b@1.0.0',
          '    └── … 2 more (raise --depth to see them)',
        ].join('\n'),
      )
      const doc = json<TreeDoc>(await cli(ws, box.env, ['dep', 'tree', '--depth', '1', '--json']))
      const [top] = doc.tree
      expect(top.dependencies.map((d) => [d.name, d.truncated ?? false, d.hidden ?? 0, d.dependencies.length])).toEqual([
        ['extra', false, 0, 0],
        ['mid-a', true, 1, 0],
        ['mid-b', true, 2, 0],
      ])

      const zero = json<TreeDoc>(await cli(ws, box.env, ['dep', 'tree', '--depth', '0', '--json']))
      expect(zero.tree[0]).toMatchObject({name: 'top', truncated: true, hidden: 3, dependencies: []})
    })

    it('a node cut by --depth is not "shared": it is expanded where it appears higher up', async () => {
      // root -> a -> z -> leaf and root -> z: z is first met at depth 2 (cut), then at depth 1.
      const cutWs = await lockedWorkspace('cut', {root: ['a', 'z'], a: ['z'], z: ['leaf'], leaf: []})
      const text = await cli(cutWs, box.env, ['dep', 'tree', '--depth', '2'])
      expect(text.exitCode, text.stderr).toBe(0)
      expect(stripped(text.stdout)).toBe(
        [
          'root@1.0.0 (taskserv)',
          '├── a@1.0.0',
          '│   └── z@1.0.0',
          '│       └── … 1 more (raise --depth to see them)',
          '└── z@1.0.0',
          '    └── leaf@1.0.0',
        ].join('\n'),
      )
      // Unlimited: z in full under a, shared (*) under root.
      const full = json<TreeDoc>(await cli(cutWs, box.env, ['dep', 'tree', '--json']))
      expect(full.source).toBe('lockfile')
      expect(full.tree[0].dependencies.map((d) => [d.name, d.shared ?? false, d.dependencies.length])).toEqual([
        ['a', false, 1],
        ['z', true, 0],
      ])
    })

    it('NAME --reverse: who requires NAME, up to the declared modules', async () => {
      const text = await cli(ws, box.env, ['dep', 'tree', 'base', '--reverse'])
      expect(text.exitCode, text.stderr).toBe(0)
      expect(stripped(text.stdout)).toBe(
        [
          'who requires base, up to the workspace:',
          'base@1.0.0 (taskserv)',
          '├── mid-a@1.0.0',
          '│   └── top@1.0.0 (declared by the workspace)',
          '└── mid-b@1.0.0',
          '    └── top@1.0.0 (declared by the workspace) (*)',
          '',
          '(*) shared: its dependents are shown where it appears in full',
        ].join('\n'),
      )
      const doc = json<TreeDoc>(await cli(ws, box.env, ['dep', 'tree', 'extra', '--reverse', '--json']))
      expect(doc.reverse).toBe(true)
      expect(doc.tree[0].dependencies.map((d) => [d.name, d.optional ?? false, d.declared ?? false])).toEqual([
        ['mid-b', false, false],
        ['top', true, true],
      ])
      const cut = json<TreeDoc>(await cli(ws, box.env, ['dep', 'tree', 'base', '--reverse', '--depth', '1', '--json']))
      expect(cut.tree[0].dependencies.map((d) => [d.name, d.hidden])).toEqual([
        ['mid-a', 1],
        ['mid-b', 1],
      ])
    })

    it('bad input: --reverse without NAME is a usage error; an unknown NAME exits 4 with the nearest name', async () => {
      const noName = await cli(ws, box.env, ['dep', 'tree', '--reverse', '--json'])
      expect(noName.exitCode).toBe(2)
      expect(json<ErrorDoc>(noName).error.message).toContain('--reverse needs the NAME')
      const typo = await cli(ws, box.env, ['dep', 'tree', 'bsae', '--reverse'])
      expect(typo.exitCode).toBe(4)
      expect(typo.stderr).toContain('bsae is not part of')
      expect(typo.stderr).toContain('did you mean base?')
      const far = await cli(ws, box.env, ['dep', 'tree', 'zzzzzzzz', '--json'])
      expect(far.exitCode).toBe(4)
      expect(json<ErrorDoc>(far).error.hint).toContain('base, extra, mid-a, mid-b, top')
      const negative = await cli(ws, box.env, ['dep', 'tree', '--depth', '-1'])
      expect(negative.exitCode).toBe(2)
    })
  })

  describe('dep why', () => {
    it('prints every chain from the declaration to NAME with the range at each edge', async () => {
      const result = await cli(ws, box.env, ['dep', 'why', 'base'])
      expect(result.exitCode, result.stderr).toBe(0)
      const lines = result.stdout.trim().split('\n')
      expect(lines[0]).toBe('base@1.0.0 (taskserv) is required through 2 chain(s):')
      expect(lines[1]).toMatch(
        /^ {2}workspace \(config\/provisioning\.yaml:\d+, dependencies\.extensions\.modules\.taskservs\[0\]: top \^1\) -> top@1\.0\.0 \(mid-a \^1\) -> mid-a@1\.0\.0 \(base \^1\.0\) -> base@1\.0\.0$/,
      )
      expect(lines[2]).toMatch(/-> top@1\.0\.0 \(mid-b \^1\) -> mid-b@1\.0\.0 \(base >=1\.0\.0\) -> base@1\.0\.0$/)
      expect(lines).toHaveLength(3)
      expect(result.stderr).toBe('')
    })

    it('--json: paths of {name, version, range}, optional edges flagged, shortest first; --limit counts what it leaves out', async () => {
      const doc = json<WhyDoc>(await cli(ws, box.env, ['dep', 'why', 'extra', '--json']))
      expect(doc).toMatchObject({name: 'extra', version: '1.0.0', totalPaths: '2', omittedPaths: '0', warnings: []})
      expect(doc.declaredBy).toBeUndefined()
      expect(doc.paths).toEqual([
        [
          {
            name: 'top',
            version: '1.0.0',
            range: '^1',
            declaredAt: expect.stringMatching(/^config\/provisioning\.yaml:\d+, dependencies\.extensions\.modules\.taskservs\[0\]$/),
          },
          {name: 'extra', version: '1.0.0', range: '^1', optional: true},
        ],
        [
          {name: 'top', version: '1.0.0', range: '^1', declaredAt: expect.any(String)},
          {name: 'mid-b', version: '1.0.0', range: '^1'},
          {name: 'extra', version: '1.0.0', range: '^1'},
        ],
      ])
      const limited = await cli(ws, box.env, ['dep', 'why', 'base', '--limit', '1'])
      expect(limited.exitCode).toBe(0)
      expect(limited.stdout).toContain('mid-a@1.0.0')
      expect(limited.stdout).not.toContain('mid-b@1.0.0')
      expect(limited.stdout).toContain('… 1 more chain(s) not shown (raise --limit to see more)')
      expect(json<WhyDoc>(await cli(ws, box.env, ['dep', 'why', 'base', '--limit', '1', '--json']))).toMatchObject({totalPaths: '2', omittedPaths: '1'})
    })

    it('a declared NAME names its declaring line', async () => {
      const doc = json<WhyDoc>(await cli(ws, box.env, ['dep', 'why', 'top', '--json']))
      expect(doc.declaredBy).toMatchObject({
        key: 'dependencies.extensions.modules.taskservs[0]',
        range: '^1',
        location: expect.stringMatching(/^config\/provisioning\.yaml:\d+$/),
      })
      expect(doc.paths).toHaveLength(1)
      const text = await cli(ws, box.env, ['dep', 'why', 'top'])
      expect(text.stdout).toMatch(/declared by the workspace: config\/provisioning\.yaml:\d+, dependencies\.extensions\.modules\.taskservs\[0\] \(\^1\)/)
    })

    it('bad input: unknown NAME exits 4 with did-you-mean; no lockfile exits 4 saying to resolve; NAME is required', async () => {
      const typo = await cli(ws, box.env, ['dep', 'why', 'mid-c', '--json'])
      expect(typo.exitCode).toBe(4)
      const error = json<ErrorDoc>(typo).error
      expect(error.message).toContain('mid-c is not part of')
      // mid-a and mid-b are one edit away each: the tie goes to the first by name, every time.
      expect(error.message).toContain('did you mean mid-a?')
      expect(error.details).toMatchObject({name: 'mid-c'})

      const empty = await bareWorkspace(box.root, 'why-no-lock')
      await declare(empty, {registry: registry.host}, {taskservs: [{name: 'top', version: '^1'}]})
      const noLock = await cli(empty, box.env, ['dep', 'why', 'base'])
      expect(noLock.exitCode).toBe(4)
      expect(noLock.stderr).toContain('provisioning.lock does not exist')
      expect(noLock.stderr).toContain('dep resolve')

      expect((await cli(ws, box.env, ['dep', 'why'])).exitCode).toBe(2)
      expect((await cli(ws, box.env, ['dep', 'why', 'base', '--limit', '0'])).exitCode).toBe(2)
    })

    it('ranges come from the installed manifest\'s own keys: a dependency named "constructor" the manifest does not list is "?"', async () => {
      const ctor = await lockedWorkspace('ctor', {root: ['constructor', 'listed'], constructor: [], listed: []})
      // Installed manifests of root (listing only "listed") and of the two leaves.
      await writeExtension(path.join(ctor, 'extensions', 'taskservs', 'root'), {name: 'root', version: '1.0.0', dependencies: {listed: '~1.0'}})
      for (const leaf of ['constructor', 'listed']) await writeExtension(path.join(ctor, 'extensions', 'taskservs', leaf), {name: leaf, version: '1.0.0'})
      const doc = json<WhyDoc>(await cli(ctor, box.env, ['dep', 'why', 'constructor', '--json']))
      expect(doc.paths).toEqual([[expect.objectContaining({name: 'root', range: '1.0.0'}), {name: 'constructor', version: '1.0.0'}]])
      const listed = json<WhyDoc>(await cli(ctor, box.env, ['dep', 'why', 'listed', '--json']))
      expect(listed.paths[0][1]).toEqual({name: 'listed', version: '1.0.0', range: '~1.0'})
      expect((await cli(ctor, box.env, ['dep', 'why', 'constructor'])).stdout).toContain('-> root@1.0.0 (constructor ?) -> constructor@1.0.0')
    })

    it('a diamond ladder with 2^40 chains: the count is exact, only --limit chains are built, ranges of extensions not installed are "?"', async () => {
      // Layer i has l{i}a and l{i}b, each requiring both of layer i+1.
      const layers = 40
      const pair = (i: number) => (i === layers ? ['sink'] : [`l${i}a`, `l${i}b`])
      const graph: Record<string, string[]> = {root: pair(0), sink: []}
      for (let i = 0; i < layers; i++) for (const n of pair(i)) graph[n] = pair(i + 1)
      const ladder = await lockedWorkspace('ladder', graph)
      const started = Date.now()
      const result = await cli(ladder, box.env, ['dep', 'why', 'sink', '--limit', '3', '--json'])
      expect(result.exitCode, result.stderr).toBe(0)
      const doc = json<WhyDoc>(result)
      expect(doc.totalPaths).toBe((2n ** BigInt(layers)).toString())
      expect(doc.omittedPaths).toBe((2n ** BigInt(layers) - 3n).toString())
      expect(doc.paths).toHaveLength(3)
      for (const chain of doc.paths) {
        expect(chain).toHaveLength(layers + 2)
        expect(chain[0]).toMatchObject({name: 'root', range: '1.0.0'})
        expect(chain.slice(1).every((step) => step.range === undefined)).toBe(true)
      }
      expect(doc.warnings.some((w) => w.includes('not installed'))).toBe(true)
      const text = await cli(ladder, box.env, ['dep', 'why', 'sink', '--limit', '1'])
      expect(text.stdout).toContain('-> root@1.0.0 (l0a ?) -> l0a@1.0.0 (l1a ?)')
      expect(text.stdout).toContain(`… ${2n ** BigInt(layers) - 1n} more chain(s) not shown`)
      expect(text.stderr).toContain('not installed')
      // Generous: a process start is ~0.5 s on a loaded 2-core machine; enumerating 2^40 would never end.
      expect(Date.now() - started).toBeLessThan(30_000)
    })
  })

  describe('a large lock', () => {
    it('a lock of 2,200 extensions (over 512 KiB) is parsed once: later views read it from the parse cache', async () => {
      const leaves = Array.from({length: 2200}, (_, i) => `n${i + 1}`)
      const big = await lockedWorkspace('big', {root: leaves, ...Object.fromEntries(leaves.map((n) => [n, []]))})
      const text = await readFile(lockPath(big), 'utf8')
      expect(text.length).toBeGreaterThan(512 * 1024)
      const first = await cli(big, box.env, ['dep', 'why', 'n2200', '--json'])
      expect(first.exitCode, first.stderr).toBe(0)
      expect(json<WhyDoc>(first)).toMatchObject({totalPaths: '1', paths: [[{name: 'root'}, {name: 'n2200'}]]})
      const cacheDir = path.join(box.home, 'cache', 'parsed')
      const entries = await Promise.all((await readdir(cacheDir)).filter((f) => f.endsWith('.json')).map((f) => readFile(path.join(cacheDir, f), 'utf8')))
      expect(entries.some((entry) => entry.length > 512 * 1024 && entry.includes('"n2200"'))).toBe(true)
    })
  })

  describe('dep check-updates and dep update', () => {
    it('check-updates exits 1 when something is outdated, with the document on stdout and nothing as an error', async () => {
      const result = await cli(ws, box.env, ['dep', 'check-updates', '--json'])
      expect(result.exitCode).toBe(1)
      const doc = json<OutdatedDoc>(result)
      expect(doc.outdated).toBe(1)
      expect(doc.extensions.find((e) => e.name === 'base')).toEqual({
        name: 'base',
        type: 'taskserv',
        locked: '1.0.0',
        wanted: '1.1.0',
        latest: '2.0.0',
        outdated: true,
      })
      expect(doc.extensions.filter((e) => e.outdated).map((e) => e.name)).toEqual(['base'])
      const text = await cli(ws, box.env, ['dep', 'check-updates'])
      expect(text.exitCode).toBe(1)
      expect(text.stdout).toMatch(/^base\s+1\.0\.0\s+1\.1\.0\s+2\.0\.0\s+update available$/m)
      expect(text.stdout).toContain('1 outdated')
      expect(text.stderr).not.toMatch(/error/i)
    })

    it('dep update --dry-run lists old -> new and the action per extension, and writes nothing', async () => {
      const lockBefore = await readLock(ws)
      const filesBefore = await readTree(path.join(ws, 'extensions'))
      const text = await cli(ws, box.env, ['dep', 'update', '--dry-run'])
      expect(text.exitCode, text.stderr).toBe(0)
      expect(text.stdout).toMatch(/^base\s+taskserv\s+1\.0\.0\s+1\.1\.0\s+upgraded$/m)
      expect(text.stdout).toMatch(/^mid-a\s+taskserv\s+1\.0\.0\s+1\.0\.0\s+kept$/m)
      expect(text.stdout).not.toContain('planned')
      expect(text.stdout).toContain('dry run (nothing installed, lockfile not written): would be 1 upgraded, 0 downgraded, 0 added, 0 removed')
      const doc = json<UpdateDoc>(await cli(ws, box.env, ['dep', 'update', '--dry-run', '--json']))
      expect(doc).toMatchObject({dryRun: true, lockWritten: false})
      expect(doc.changes.map(({name, type, from, to, change}) => ({name, type, from, to, change}))).toEqual([
        {name: 'base', type: 'taskserv', from: '1.0.0', to: '1.1.0', change: 'upgraded'},
        ...['extra', 'mid-a', 'mid-b', 'top'].map((name) => ({name, type: 'taskserv', from: '1.0.0', to: '1.0.0', change: 'kept'})),
      ])
      expect(await readLock(ws)).toBe(lockBefore)
      expect(await readTree(path.join(ws, 'extensions'))).toEqual(filesBefore)
    })

    it('dep update NAME that does not exist exits 4 naming it, with did-you-mean from the lock; nothing changes', async () => {
      const lockBefore = await readLock(ws)
      const unknown = await cli(ws, box.env, ['dep', 'update', 'nosuch', '--json'])
      expect(unknown.exitCode).toBe(4)
      const error = json<ErrorDoc>(unknown).error
      expect(error.code).toBe('E_NOT_FOUND')
      expect(error.message).toContain('nosuch')
      expect(error.details).toMatchObject({unknown: ['nosuch']})
      const typo = await cli(ws, box.env, ['dep', 'update', 'bsae', 'top'])
      expect(typo.exitCode).toBe(4)
      expect(typo.stderr).toContain('bsae (did you mean base?)')
      expect(typo.stderr).toContain('provisioning dep update base top')
      expect(await readLock(ws)).toBe(lockBefore)
    })

    it('dep update NAME installs the newer allowed version; a named extension kept at its version says why', async () => {
      const updated = await cli(ws, box.env, ['dep', 'update', 'base', '--json'])
      expect(updated.exitCode, updated.stderr).toBe(0)
      const doc = json<UpdateDoc>(updated)
      expect(doc.changes.find((c) => c.name === 'base')).toMatchObject({from: '1.0.0', to: '1.1.0', change: 'upgraded'})
      expect(doc.lockWritten).toBe(true)
      expect(await readLock(ws)).toMatch(/name: base\n\s+type: taskserv\n\s+version: 1\.1\.0/)

      // Now 2.0.0 is published but mid-a's ^1.0 keeps base at 1.1.0; top is at its newest.
      const kept = await cli(ws, box.env, ['dep', 'update', 'base', 'top'])
      expect(kept.exitCode, kept.stderr).toBe(0)
      expect(kept.stdout).toContain('base stays at 1.1.0: 2.0.0 is published, but mid-a@1.0.0 requires base ^1.0')
      expect(kept.stdout).not.toContain('mid-b@1.0.0 requires base')
      expect(kept.stdout).toContain('top stays at 1.0.0: 1.0.0 is the newest published version')
    })

    it('check-updates still exits 1 for a version newer than the ranges allow (npm semantics), and 0 when everything is newest', async () => {
      const behind = await cli(ws, box.env, ['dep', 'check-updates'])
      expect(behind.exitCode).toBe(1)
      expect(behind.stdout).toMatch(/^base\s+1\.1\.0\s+1\.1\.0\s+2\.0\.0\s+newer outside your ranges$/m)

      const fresh = await bareWorkspace(box.root, 'fresh')
      await declare(fresh, {registry: registry.host}, {taskservs: [{name: 'mid-b', version: '^1'}]})
      expect((await depResolve(fresh, box.env)).exitCode).toBe(0)
      const current = await cli(fresh, box.env, ['dep', 'check-updates', '--json'])
      expect(current.exitCode, current.stdout).toBe(0)
      expect(json<OutdatedDoc>(current)).toMatchObject({outdated: 0})
      expect((await cli(fresh, box.env, ['dep', 'check-updates'])).stdout).toContain('everything is up to date')
    })
  })

  describe('dep graph', () => {
    it('dot and mermaid: one node per locked extension, hard edges solid, optional dashed', async () => {
      const dot = await cli(ws, box.env, ['dep', 'graph'])
      expect(dot.exitCode, dot.stderr).toBe(0)
      expect(dot.stdout).toContain('top -> mid_a;')
      expect(dot.stdout).toContain('top -> extra [style=dashed, label="optional"];')
      expect(dot.stdout).toContain('base [label="base\\n1.1.0"];')
      const mermaid = await cli(ws, box.env, ['dep', 'graph', '--format', 'mermaid', '--json'])
      const doc = json<{format: string; graph: string; source: string}>(mermaid)
      expect(doc).toMatchObject({format: 'mermaid', source: 'lockfile'})
      expect(doc.graph.split('\n')).toContain('  top -.->|optional| extra')
      expect((await cli(ws, box.env, ['dep', 'graph', '--format', 'svg'])).exitCode).toBe(2)
    })
  })
})
