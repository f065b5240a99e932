import {createHash} from 'node:crypto'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {findBinary} from '../../src/lib/util/find-binary.js'
import {json, runCli} from '../helpers/cli.js'
import {publish, writeExtension} from '../helpers/deps.js'
import {recordingOras, type RecordingOras} from '../helpers/recording-oras.js'
import {useRegistrySandbox} from '../helpers/registry-sandbox.js'
import {skopeoInspectRaw, skopeoListTags} from '../helpers/skopeo.js'

const digestOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`

/** A registry holding redis 0.1.0 (pushed natively) and a CLI run with oci.tool = oras. */
function useOrasSandbox(pathDirs: () => string[]) {
  const {registry, box, env} = useRegistrySandbox()
  beforeAll(async () => {
    const dir = path.join(box().root, 'redis')
    await writeExtension(dir, {name: 'redis', version: '0.1.0'}, {VERSION: '0.1.0\n'})
    await publish(registry().host, box().env, [dir])
  })
  const cli = (args: string[]) =>
    runCli([...args, '--set', 'oci.tool=oras', '--json'], {
      env: {...env(), PATH: [...pathDirs(), process.env.PATH ?? ''].join(path.delimiter)},
      cwd: box().root,
    })
  const repository = () => `${registry().host}/provisioning-extensions/redis`
  const digest = async () => digestOf(await skopeoInspectRaw(`docker://${repository()}:0.1.0`))
  return {box, cli, repository, digest}
}

/**
 * `oci.tool = oras` runs oras for delete and tag too (issue 13). oras is not installable on the
 * build machines: a recording `oras` checks what the CLI asks of it, our side of the boundary.
 */
describe('oci.tool = oras (built CLI, recording oras, real registry)', () => {
  let oras: RecordingOras
  beforeAll(async () => {
    oras = await recordingOras()
  })
  afterAll(() => oras?.cleanup())
  const {box, cli, repository, digest} = useOrasSandbox(() => [oras.dir])
  const authFile = () => path.join(box().home, 'auth.json')

  it('oci delete runs oras manifest delete on the digest the tag resolves to', async () => {
    const before = (await oras.calls()).length
    const source = await digest()
    const result = await cli(['oci', 'delete', 'redis:0.1.0', '--yes'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(json(result)).toEqual({reference: `${repository()}:0.1.0`, digest: source, deleted: true})
    expect((await oras.calls()).slice(before)).toEqual([
      ['manifest', 'delete', `${repository()}@${source}`, '--force', '--plain-http', '--registry-config', authFile()],
    ])
    // The recording oras deletes nothing: the native client did not delete it either.
    expect(await skopeoListTags(`docker://${repository()}`)).toContain('0.1.0')
  })

  it('oci tag runs oras tag on the digest, with every new tag', async () => {
    const before = (await oras.calls()).length
    const source = await digest()
    const result = await cli(['oci', 'tag', 'redis:0.1.0', 'stable', 'latest'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    expect(json(result)).toEqual({
      source: `${repository()}:0.1.0`,
      digest: source,
      tags: ['stable', 'latest'].map((tag) => ({tag, reference: `${repository()}:${tag}`, digest: source})),
    })
    expect((await oras.calls()).slice(before)).toEqual([
      ['tag', `${repository()}@${source}`, 'stable', 'latest', '--plain-http', '--registry-config', authFile()],
    ])
  })
})

// Where oras is on PATH: pushed natively, deleted through the real oras. Skipped elsewhere: oras is
// not a Debian package and this build machine reaches no other download source; the recording
// oras above checks our side of the process boundary everywhere.
const orasOnPath = await findBinary('oras', {env: process.env, cwd: process.cwd()})
describe.skipIf(!orasOnPath)('oci.tool = oras (built CLI, real oras, real registry)', () => {
  const {cli, repository} = useOrasSandbox(() => [])

  it('oci delete removes the version', async () => {
    const result = await cli(['oci', 'delete', 'redis:0.1.0', '--yes'])
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    // Its only tag is gone: the registry no longer knows redis:0.1.0.
    await expect(skopeoInspectRaw(`docker://${repository()}:0.1.0`)).rejects.toThrow(/manifest unknown|not found/i)
  })
})
