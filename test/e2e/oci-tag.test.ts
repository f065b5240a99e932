import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {publish, writeExtension} from '../helpers/deps.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'
import {skopeoInspectRaw, skopeoListTags} from '../helpers/skopeo.js'
import {filesUnder} from '../helpers/tree.js'
import type {Sandbox} from '../helpers/workspace.js'

interface TagDoc {
  source: string
  digest: string
  tags: Array<{tag: string; reference: string; digest: string}>
}

interface TagsDoc {
  name: string
  repository: string
  tags: Array<{tag: string; reference: string}>
}

interface ErrorDoc {
  error: {code: string; message: string; exit: number}
}

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`

/** `oci tag REF NEWTAG...` (issue 12 gap) and `oci tags` on a layout (item 14). */
describe('oci tag (built CLI, real registry, checked with skopeo)', () => {
  const {registry, box: currentBox, env: currentEnv} = useRegistrySandbox()
  let box: Sandbox
  let env: Record<string, string>
  const repo = () => `docker://${registry().host}/provisioning-extensions/redis`
  const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, {env: {...env, ...extra}, cwd: box.root})
  beforeAll(async () => {
    box = currentBox()
    env = currentEnv()
    const dirs = []
    for (const version of ['0.1.0', '0.2.0']) {
      const dir = path.join(box.root, `redis-${version}`)
      await writeExtension(dir, {name: 'redis', version}, {VERSION: `${version}\n`})
      dirs.push(dir)
    }
    await publish(registry().host, box.env, dirs)
  })

  it('adds stable and latest: both resolve to the same digest from outside, and no blob is uploaded', async () => {
    const blobs = path.join(registry().storageDir, 'docker/registry/v2/blobs')
    const before = await filesUnder(blobs)
    const result = await cli(['oci', 'tag', 'redis:0.2.0', 'stable', 'latest', '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    const doc = json<TagDoc>(result)
    const source = digestOf(await skopeoInspectRaw(`${repo()}:0.2.0`))
    expect(doc).toEqual({
      source: `${registry().host}/provisioning-extensions/redis:0.2.0`,
      digest: source,
      tags: ['stable', 'latest'].map((tag) => ({tag, reference: `${registry().host}/provisioning-extensions/redis:${tag}`, digest: source})),
    })
    for (const tag of ['stable', 'latest']) expect(digestOf(await skopeoInspectRaw(`${repo()}:${tag}`))).toBe(source)
    expect((await skopeoListTags(repo())).sort()).toEqual(['0.1.0', '0.2.0', 'latest', 'stable'])
    expect(await filesUnder(blobs)).toEqual(before)
  })

  it('by digest, and moving an existing tag to another artifact (text output)', async () => {
    const older = digestOf(await skopeoInspectRaw(`${repo()}:0.1.0`))
    const result = await cli(['oci', 'tag', `oci://${registry().host}/provisioning-extensions/redis@${older}`, 'stable'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toBe(`tagged ${registry().host}/provisioning-extensions/redis:stable\ndigest: ${older}`)
    expect(digestOf(await skopeoInspectRaw(`${repo()}:stable`))).toBe(older)
  })

  it.each([
    [['redis:0.2.0', 'bad tag', '.hidden'], 2, 'invalid tags "bad tag", ".hidden"'],
    [['redis:0.2.0', 'x'.repeat(129)], 2, 'invalid tag'],
    [['redis', 'stable'], 2, 'names no tag or digest'],
    [['redis:9.9.9', 'stable'], 4, 'not found'],
    [['nothere:1.0.0', 'stable'], 4, 'not found'],
  ])('oci tag %j exits %i, changing nothing', async (args, exit, expected) => {
    const before = (await skopeoListTags(repo())).sort()
    const result = await cli(['oci', 'tag', ...args, '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(exit)
    expect(json<ErrorDoc>(result).error.message).toContain(expected)
    expect((await skopeoListTags(repo())).sort()).toEqual(before)
  })

  it('without a new tag: a usage error (exit 2)', async () => {
    const result = await cli(['oci', 'tag', 'redis:0.2.0', '--json'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(2)
  })

  it('in an oci-layout:// store, and oci tags on that layout names the artifact (item 14)', async () => {
    const store = path.join(box.root, 'store')
    const layoutEnv = {PROVISIONING_OCI__REGISTRY: `oci-layout://${store}`}
    const pushed = await cli(['oci', 'push', path.join(box.root, 'redis-0.2.0'), '--json'], layoutEnv)
    expect(pushed.exitCode, pushed.stderr).toBe(0)
    const tagged = await cli(['oci', 'tag', 'redis:0.2.0', 'stable', '--json'], layoutEnv)
    expect(tagged.exitCode, tagged.stderr).toBe(0)
    const {digest} = json<TagDoc>(tagged)
    const layout = path.join(store, 'provisioning-extensions', 'redis')
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: Array<{digest: string; annotations?: Record<string, string>}>
    }
    expect(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'], m.digest]).sort()).toEqual([
      ['0.2.0', digest],
      ['stable', digest],
    ])
    // Checked from outside: skopeo reads the layout and finds the same manifest under both tags.
    for (const tag of ['0.2.0', 'stable']) expect(digestOf(await skopeoInspectRaw(`oci:${layout}:${tag}`))).toBe(digest)

    const listed = await cli(['oci', 'tags', `oci-layout://${layout}`, '--json'])
    expect(listed.exitCode, listed.stderr).toBe(0)
    expect(json<TagsDoc>(listed)).toMatchObject({name: 'redis', tags: [{tag: '0.2.0'}, {tag: 'stable'}]})
    const table = await cli(['oci', 'tags', `oci-layout://${layout}`])
    expect(
      table.stdout
        .split('\n')
        .slice(1, 3)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(['redis', 'redis'])

    const missing = await cli(['oci', 'tags', `oci-layout://${box.root}/nowhere`, '--json'])
    expect(missing.exitCode).toBe(4)
    expect(json<ErrorDoc>(missing).error.message).toBe(`no OCI image layout at oci-layout://${box.root}/nowhere`)
  })
})
