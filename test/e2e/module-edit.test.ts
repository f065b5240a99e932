import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, EXAMPLES, exampleDirs, publish} from '../helpers/deps.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/** A hand-written config: comments, flow maps without padding, blank lines, odd indentation. */
const HAND_WRITTEN = `# Workspace configuration (hand-written)
workspace:   {name: "edit",  description: ""}

environment: dev   # the env layer

dependencies:
  extensions:
      source_type: oci     # where modules come from
      modules:
          providers: [ "aws:2.1.0" ]

          taskservs:
            -   {name: containerd,   version: "1.6.9"}   # pinned

            # the cache
            -   {name: redis, version: "^7"}
          clusters: []
# trailing comment
`

/** Modules as block maps (one key per line), a comment above the second entry, a key after the list. */
const BLOCK_MAPS = `workspace: {name: "edit"}
dependencies:
  extensions:
    source_type: oci
    modules:
      taskservs:
        - name: containerd
          version: "1.6.9"   # pinned
        # the cache
        - name: redis
          version: "^7"
      providers: [ "aws:2.1.0" ]
`

/** Lines of `after` that are not in `before` (and the reverse), in order: a line diff for one-line edits. */
function lineDiff(before: string, after: string): {added: string[]; removed: string[]} {
  const a = before.split('\n')
  const b = after.split('\n')
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++
  return {removed: a.slice(head, a.length - tail), added: b.slice(head, b.length - tail)}
}

interface ChangeDoc {
  source: string
  added: string[]
  removed: string[]
}

interface ErrorDoc {
  error: {code: string; exit: number; message: string; hint?: string}
}

describe("module load/unload keep the user's YAML (built CLI)", () => {
  let box: Sandbox
  let ws: string
  let file: string
  const cli = (args: string[]) => runCli(args, {env: box.env, cwd: ws})
  beforeAll(async () => {
    box = await sandbox()
    box.env.PROVISIONING_OCI__REGISTRY = `oci-layout://${box.root}/store`
    await publish(box.env.PROVISIONING_OCI__REGISTRY, box.env, await exampleDirs())
    ws = await bareWorkspace(box.root, 'edit')
    file = path.join(ws, 'config', 'provisioning.yaml')
    await writeFile(file, HAND_WRITTEN)
  })
  afterAll(() => box.cleanup())

  it("load into a block list adds one line in its siblings' style; every other line is byte-identical", async () => {
    const result = await cli(['module', 'load', 'taskserv', 'kubernetes@~1.27', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(json<ChangeDoc>(result)).toMatchObject({source: 'oci', added: ['kubernetes']})
    const after = await readFile(file, 'utf8')
    expect(lineDiff(HAND_WRITTEN, after)).toEqual({removed: [], added: ['            -   {name: kubernetes, version: "~1.27"}']})
  })

  it('load into a flow list and an empty flow list edits only those lines, in their style', async () => {
    const before = await readFile(file, 'utf8')
    expect((await cli(['module', 'load', 'provider', 'upcloud'])).exitCode).toBe(0)
    const afterProvider = await readFile(file, 'utf8')
    expect(lineDiff(before, afterProvider)).toEqual({
      removed: ['          providers: [ "aws:2.1.0" ]'],
      added: ['          providers: [ "aws:2.1.0", "upcloud" ]'],
    })
    const cluster = await cli(['module', 'load', 'cluster', 'k8s-basic@^1.0'])
    expect(cluster.exitCode, cluster.stderr).toBe(0)
    expect(lineDiff(afterProvider, await readFile(file, 'utf8'))).toEqual({
      removed: ['          clusters: []'],
      added: ['          clusters: [{name: k8s-basic, version: "^1.0"}]'],
    })
  })

  it('unloading everything that was loaded gives back the original file byte for byte', async () => {
    for (const [type, name] of [
      ['cluster', 'k8s-basic'],
      ['provider', 'upcloud'],
      ['taskserv', 'kubernetes'],
    ]) {
      const result = await cli(['module', 'unload', type, name])
      expect(result.exitCode, result.stderr).toBe(0)
    }
    expect(await readFile(file, 'utf8')).toBe(HAND_WRITTEN)
  })

  it('unload of a later block entry takes the comment lines right above it along; the blank line stays', async () => {
    expect((await cli(['module', 'unload', 'taskserv', 'redis'])).exitCode).toBe(0)
    expect(lineDiff(HAND_WRITTEN, await readFile(file, 'utf8'))).toEqual({
      removed: ['            # the cache', '            -   {name: redis, version: "^7"}'],
      added: [],
    })
  })

  it('padded flow maps get a padded entry; a missing list key becomes one new line', async () => {
    const padded = HAND_WRITTEN.replace('-   {name: redis, version: "^7"}', "-   { name: redis, version: '^7' }")
      .replace('{name: containerd,   version: "1.6.9"}', "{ name: containerd, version: '1.6.9' }")
      .replace('          clusters: []\n', '')
    await writeFile(file, padded)
    expect((await cli(['module', 'load', 'taskserv', 'etcd@^3'])).exitCode).toBe(0)
    const afterTaskserv = await readFile(file, 'utf8')
    expect(lineDiff(padded, afterTaskserv)).toEqual({removed: [], added: ["            -   { name: etcd, version: '^3' }"]})
    expect((await cli(['module', 'load', 'cluster', 'k8s-basic@^1.0'])).exitCode).toBe(0)
    expect(lineDiff(afterTaskserv, await readFile(file, 'utf8'))).toEqual({removed: [], added: ['          clusters: [{name: k8s-basic, version: "^1.0"}]']})
    await writeFile(file, HAND_WRITTEN)
    expect((await cli(['module', 'unload', 'cluster', 'k8s-basic'])).exitCode).toBe(4)
    expect(await readFile(file, 'utf8')).toBe(HAND_WRITTEN)
  })

  it('unloading the only entry of a block list leaves an empty flow list (not null) and the rest untouched', async () => {
    const single = HAND_WRITTEN.replace('          providers: [ "aws:2.1.0" ]\n', '          providers:\n           - "aws:2.1.0"   # the only one\n')
    await writeFile(file, single)
    expect((await cli(['module', 'unload', 'provider', 'aws'])).exitCode).toBe(0)
    expect(lineDiff(single, await readFile(file, 'utf8'))).toEqual({
      removed: ['          providers:', '           - "aws:2.1.0"   # the only one'],
      added: ['          providers: []'],
    })
    await writeFile(file, HAND_WRITTEN)
  })

  it('a CRLF file stays CRLF: the new line ends in CRLF, and unload gives the file back byte for byte', async () => {
    const crlf = HAND_WRITTEN.replaceAll('\n', '\r\n')
    await writeFile(file, crlf)
    expect((await cli(['module', 'load', 'taskserv', 'etcd@^3'])).exitCode).toBe(0)
    const loaded = await readFile(file, 'utf8')
    expect(loaded).toContain('            -   {name: redis, version: "^7"}\r\n            -   {name: etcd, version: "^3"}\r\n')
    expect(loaded.replaceAll('\r\n', '')).not.toContain('\n')
    expect((await cli(['module', 'unload', 'taskserv', 'etcd'])).exitCode).toBe(0)
    expect(await readFile(file, 'utf8')).toBe(crlf)
    await writeFile(file, HAND_WRITTEN)
  })

  it('block list of maps: load adds one line after the last entry; every other line is byte-identical', async () => {
    await writeFile(file, BLOCK_MAPS)
    const result = await cli(['module', 'load', 'taskserv', 'kubernetes@~1.27'])
    expect(result.exitCode, result.stderr).toBe(0)
    const loaded = await readFile(file, 'utf8')
    expect(lineDiff(BLOCK_MAPS, loaded)).toEqual({removed: [], added: ['        - {name: kubernetes, version: "~1.27"}']})
    expect((await cli(['module', 'unload', 'taskserv', 'kubernetes'])).exitCode).toBe(0)
    expect(await readFile(file, 'utf8')).toBe(BLOCK_MAPS)
  })

  it("block list of maps: unload takes only the entry's own lines; the comment above the next entry survives", async () => {
    await writeFile(file, BLOCK_MAPS)
    expect((await cli(['module', 'unload', 'taskserv', 'containerd'])).exitCode).toBe(0)
    expect(lineDiff(BLOCK_MAPS, await readFile(file, 'utf8'))).toEqual({
      removed: ['        - name: containerd', '          version: "1.6.9"   # pinned'],
      added: [],
    })
    await writeFile(file, BLOCK_MAPS)
    // The last entry: its comment goes with it, the key after it stays.
    expect((await cli(['module', 'unload', 'taskserv', 'redis'])).exitCode).toBe(0)
    expect(lineDiff(BLOCK_MAPS, await readFile(file, 'utf8'))).toEqual({
      removed: ['        # the cache', '        - name: redis', '          version: "^7"'],
      added: [],
    })
    const crlf = BLOCK_MAPS.replaceAll('\n', '\r\n')
    await writeFile(file, crlf)
    expect((await cli(['module', 'unload', 'taskserv', 'containerd'])).exitCode).toBe(0)
    expect(await readFile(file, 'utf8')).toBe(crlf.replace('        - name: containerd\r\n          version: "1.6.9"   # pinned\r\n', ''))
    await writeFile(file, HAND_WRITTEN)
  })

  it('a version that is no semver range is a usage error (exit 2) naming it; nothing is written', async () => {
    const before = await readFile(file, 'utf8')
    for (const spec of ["etcd@^3' , evil: 'x", 'etcd@^3", evil: "x', 'etcd@latest', 'etcd:3.5.9 # c']) {
      const result = await cli(['module', 'load', 'taskserv', spec, '--json'])
      expect(result.exitCode, spec).toBe(2)
      const doc = json<ErrorDoc>(result)
      expect(doc.error.code).toBe('E_USAGE')
      expect(doc.error.message).toContain(JSON.stringify(spec.replace(/^etcd[@:]/, '')))
      expect(doc.error.hint).toMatch(/\^1\.14/)
      expect(await readFile(file, 'utf8')).toBe(before)
    }
    // A range with spaces and "||" is written quoted, and reads back as exactly that range.
    const ok = await cli(['module', 'load', 'taskserv', 'etcd@>=3.5.0 <4 || 3.x'])
    expect(ok.exitCode, ok.stderr).toBe(0)
    expect(lineDiff(before, await readFile(file, 'utf8')).added).toEqual(['            -   {name: etcd, version: ">=3.5.0 <4 || 3.x"}'])
    expect((await cli(['module', 'unload', 'taskserv', 'etcd'])).exitCode).toBe(0)
    expect(await readFile(file, 'utf8')).toBe(before)
  })

  it('--source oci on an OCI workspace loads; --source local there is refused (exit 3) and changes nothing', async () => {
    const ok = await cli(['module', 'load', 'taskserv', 'helm', '--source', 'oci', '--json'])
    expect(ok.exitCode, ok.stderr).toBe(0)
    expect(json<ChangeDoc>(ok)).toMatchObject({source: 'oci', added: ['helm']})
    const before = await readFile(file, 'utf8')
    const refused = await cli(['module', 'load', 'taskserv', 'cilium', '--source', 'local', '--json'])
    expect(refused.exitCode).toBe(3)
    const doc = json<ErrorDoc>(refused)
    expect(doc.error.code).toBe('E_CONFIG')
    expect(doc.error.message).toContain('--source local: this workspace takes its extensions from "oci"')
    expect(doc.error.hint).toContain('source_type: local')
    expect(await readFile(file, 'utf8')).toBe(before)
  })

  it('--source with a value that is no source is a usage error (exit 2)', async () => {
    const result = await cli(['module', 'load', 'taskserv', 'cilium', '--source', 'gitea'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/local, oci/)
  })

  it('--source local on a local-source workspace loads from the folder; a missing folder is exit 4; --source oci there is exit 3', async () => {
    const local = await bareWorkspace(box.root, 'local-edit')
    const localFile = path.join(local, 'config', 'provisioning.yaml')
    const text = `workspace: {name: local-edit}\ndependencies:\n  extensions:\n    source_type: local   # checked-out sources\n    local: {path: ${JSON.stringify(EXAMPLES)}}\n    modules:\n      taskservs: []\n`
    await writeFile(localFile, text)
    const run = (args: string[]) => runCli(args, {env: box.env, cwd: local})
    const loaded = await run(['module', 'load', 'taskserv', 'redis', '--source', 'local', '--json'])
    expect(loaded.exitCode, loaded.stderr).toBe(0)
    expect(json<ChangeDoc>(loaded)).toMatchObject({source: 'local', added: ['redis']})
    expect(lineDiff(text, await readFile(localFile, 'utf8'))).toEqual({
      removed: ['      taskservs: []'],
      added: ['      taskservs: [{name: redis, version: "*"}]'],
    })

    const ociRefused = await run(['module', 'load', 'taskserv', 'etcd', '--source', 'oci'])
    expect(ociRefused.exitCode).toBe(3)
    expect(ociRefused.stderr).toContain('this workspace takes its extensions from "local"')

    const missing = path.join(box.root, 'no-such-sources')
    const moved = text.replace(JSON.stringify(EXAMPLES), JSON.stringify(missing))
    await writeFile(localFile, moved)
    const gone = await run(['module', 'load', 'taskserv', 'etcd', '--source', 'local', '--json'])
    expect(gone.exitCode).toBe(4)
    expect(json<ErrorDoc>(gone).error.message).toContain(`the local source folder ${missing} does not exist`)
    expect(await readFile(localFile, 'utf8')).toBe(moved)
    await mkdir(missing)
  })
})
