import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {writeExtension} from '../helpers/deps.js'
import {useRegistry} from '../helpers/registry.js'
import {skopeoInspectRaw, skopeoListTags} from '../helpers/skopeo.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface PushDoc {
  reference: string
  digest: string
  name: string
  version: string
}

interface ErrorDoc {
  error: {code: string; message: string; exit: number; details: Record<string, unknown>}
}

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`

/**
 * `oci push DIR TARGET` accepts what oras and helm users type (issue 12 item 3): a full
 * reference, host/ns/name:tag, a namespace (name and version from manifest.yaml) and an
 * OCI layout folder; --registry and --namespace choose the defaults. A name or version that
 * contradicts manifest.yaml is refused before anything is sent.
 */
describe('oci push to an explicit target (built CLI, real registry)', () => {
  const registry = useRegistry()
  let box: Sandbox
  const push = (args: string[]) => runCli(['oci', 'push', './redis', ...args, '--json'], {env: box.env, cwd: box.root})
  beforeAll(async () => {
    box = await sandbox()
    await writeExtension(path.join(box.root, 'redis'), {name: 'redis', version: '0.2.0'}, {'install.sh': 'echo redis\n'})
  })
  afterAll(() => box.cleanup())

  const expectPushed = async (result: Awaited<ReturnType<typeof push>>, repository: string) => {
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    const doc = json<PushDoc>(result)
    expect(doc).toMatchObject({reference: `${registry().host}/${repository}:0.2.0`, name: 'redis', version: '0.2.0'})
    // Checked from outside: the tag resolves to the reported manifest.
    expect(digestOf(await skopeoInspectRaw(`docker://${registry().host}/${repository}:0.2.0`))).toBe(doc.digest)
  }

  it.each([
    ['oci://HOST/full/redis:0.2.0', 'full/redis'],
    ['HOST/plain/redis:0.2.0', 'plain/redis'],
    ['oci://HOST/helm', 'helm/redis'],
    ['oci://HOST/untagged/redis', 'untagged/redis'],
  ])('oci push ./redis %s lands in %s', async (target, repository) => {
    await expectPushed(await push([target.replace('HOST', registry().host)]), repository)
  })

  it('--registry and --namespace choose where a bare push goes', async () => {
    await expectPushed(await push(['--registry', registry().host, '--namespace', 'flagged']), 'flagged/redis')
  })

  it('oci-layout://PATH pushes into that layout folder, tagged with the manifest version', async () => {
    const result = await push([`oci-layout://${box.root}/layout`])
    expect(result.exitCode, result.stderr).toBe(0)
    const doc = json<PushDoc>(result)
    expect(doc.reference).toBe(`oci-layout://${box.root}/layout:0.2.0`)
    const index = JSON.parse(await readFile(path.join(box.root, 'layout', 'index.json'), 'utf8')) as {
      manifests: Array<{digest: string; annotations?: Record<string, string>}>
    }
    expect(index.manifests).toEqual([
      expect.objectContaining({digest: doc.digest, annotations: expect.objectContaining({'org.opencontainers.image.ref.name': '0.2.0'})}),
    ])
  })

  it.each([
    ['oci://HOST/wrong/other:0.2.0', 'name other is not redis'],
    ['oci://HOST/wrong/redis:0.3.0', 'version 0.3.0 is not 0.2.0'],
    ['HOST/wrong/etcd:9.9.9', 'name etcd is not redis, version 9.9.9 is not 0.2.0'],
  ])('%s contradicts manifest.yaml: exit 10 naming both values, nothing pushed', async (target, expected) => {
    const result = await push([target.replace('HOST', registry().host)])
    expect(result.exitCode, result.stdout + result.stderr).toBe(10)
    const {error} = json<ErrorDoc>(result)
    expect(error.code).toBe('E_VALIDATION')
    expect(error.message).toContain(expected)
    expect(error.message).toContain('redis@0.2.0')
    await expect(skopeoListTags(`docker://${registry().host}/wrong/redis`)).rejects.toThrow()
  })

  it.each([
    [['oci://HOST/wrong/redis@sha256:' + '0'.repeat(64)], 'a digest is what the registry computes'],
    [['oci://HOST/wrong/redis:0.2.0', '0.2.1'], 'VERSION 0.2.1 contradicts it'],
    [['--registry', 'user:pw@HOST'], 'credentials do not belong in a registry name'],
    [['--namespace', 'Bad Namespace'], 'must be lower-case components'],
    // A full reference names its own registry: a flag beside it would be silently ignored.
    [['oci://HOST/wrong/redis:0.2.0', '--registry', 'HOST'], '--registry cannot be combined with it'],
    [['HOST/wrong/redis:0.2.0', '--namespace', 'other'], '--namespace cannot be combined with it'],
    [[`oci-layout://./wrong-layout`, '--registry', 'HOST', '--namespace', 'other'], '--registry and --namespace cannot be combined with it'],
  ])('oci push ./redis %j is a usage error (exit 2), nothing pushed', async (args, expected) => {
    const result = await push(args.map((arg) => arg.replace('HOST', registry().host)))
    expect(result.exitCode, result.stdout + result.stderr).toBe(2)
    expect(json<ErrorDoc>(result).error.message).toContain(expected)
    expect(result.stdout).not.toContain('pw')
    await expect(skopeoListTags(`docker://${registry().host}/wrong/redis`)).rejects.toThrow()
  })
})
