import {writeFile} from 'node:fs/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {
  bareWorkspace,
  declare,
  depResolve,
  type ErrorDoc,
  exampleDirs,
  installedDirs,
  lockPath,
  type Modules,
  publish,
  readLock,
  type ResolveDoc,
} from '../helpers/deps.js'
import {type RegistryHandle, startRegistry} from '../helpers/registry.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §3/§9, bad input to `dep resolve`: every mistake gets the documented exit code and
 * a message that names the thing and the way out, and nothing is lost.
 */
describe('dep resolve with bad input', () => {
  let registry: RegistryHandle
  let box: Sandbox
  let ws: string
  const use = (modules: Modules, namespace?: string) => declare(ws, {registry: registry.host, namespace}, modules)

  beforeAll(async () => {
    box = await sandbox()
    registry = await startRegistry()
    await publish(registry.host, box.env, await exampleDirs())
    // The redis artifact, byte for byte, under another repository name.
    const copied = await runCli(['oci', 'copy', 'redis:7.2.0', 'impostor:7.2.0'], {env: {...box.env, PROVISIONING_OCI__REGISTRY: registry.host}})
    if (copied.exitCode !== 0) throw new Error(copied.stderr)
    ws = await bareWorkspace(box.root, 'demo')
  })
  afterAll(async () => {
    await registry?.stop()
    await box?.cleanup()
  })

  it('a missing tag is unsatisfiable (exit 5) and lists the versions that exist', async () => {
    await use({taskservs: ['redis:9.9.9']})
    const result = await depResolve(ws, box.env)
    expect(result.exitCode).toBe(5)
    expect(result.stderr).toContain('no version of redis satisfies every constraint')
    expect(result.stderr).toMatch(
      /workspace -> redis 9\.9\.9 {3}\(declared at config\/provisioning\.yaml:\d+, dependencies\.extensions\.modules\.taskservs\[0\]\)/,
    )
    expect(result.stderr).toContain('available versions of redis: 7.2.0')
  })

  it('a missing repository is "no extension named X exists" (exit 5), naming the repository asked', async () => {
    await use({taskservs: ['ghost:1.0.0'], providers: ['aws:2.1.0']})
    const result = await depResolve(ws, box.env)
    expect(result.exitCode).toBe(5)
    expect(result.stderr).toContain(`no extension named "ghost" exists in the registry (looked for ${registry.host}/provisioning-extensions/ghost)`)
    expect(result.stderr).toContain('workspace -> ghost 1.0.0')
    expect(result.stderr).toMatch(/Hint: check the name, publish it/)

    // An explicit reference into a namespace that does not hold it.
    await use({taskservs: [`oci://${registry.host}/elsewhere/redis:7.2.0`]})
    const {error} = json<ErrorDoc>(await depResolve(ws, box.env, ['--json']))
    expect(error).toMatchObject({code: 'E_RESOLUTION', exit: 5, details: {name: 'redis', repository: `${registry.host}/elsewhere/redis`}})
    expect(error.message).toContain('no extension named "redis" exists')

    // A namespace typo in the source: every name is missing, and the message shows where it looked.
    await use({taskservs: ['redis']}, 'provisioning-extensoins')
    const typo = await depResolve(ws, box.env)
    expect(typo.exitCode).toBe(5)
    expect(typo.stderr).toContain(`(looked for ${registry.host}/provisioning-extensoins/redis)`)
    expect(await installedDirs(ws)).toEqual({})
  })

  it('invalid ranges and references in the declaration are a configuration error (exit 3) listing every problem', async () => {
    await use({taskservs: [{name: 'redis', version: '^^7'}, {name: 'etcd', version: 'nope'}, {name: 'Bad Name'}], clusters: ['k8s-basic:latest']})
    const result = await depResolve(ws, box.env)
    expect(result.exitCode).toBe(3)
    expect(result.stderr).toContain('4 problems in the dependency declaration')
    expect(result.stderr).toContain('dependencies.extensions.modules.taskservs[0]: "version" of redis is not a valid semver range: "^^7"')
    expect(result.stderr).toContain('dependencies.extensions.modules.taskservs[1]: "version" of etcd is not a valid semver range: "nope"')
    expect(result.stderr).toContain('dependencies.extensions.modules.taskservs[2]: "name" must be an extension name')
    expect(result.stderr).toContain('dependencies.extensions.modules.clusters[0]: tag "latest" of k8s-basic:latest is not a semver version')
    const {error} = json<ErrorDoc>(await depResolve(ws, box.env, ['--json']))
    expect(error).toMatchObject({code: 'E_CONFIG', exit: 3})
    expect(error.details.problems).toHaveLength(4)
  })

  it('a module declared under the wrong type is refused (exit 5) naming the right group', async () => {
    await use({taskservs: ['aws:2.1.0']})
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode).toBe(5)
    const {error} = json<ErrorDoc>(result)
    expect(error.message).toBe('dependencies.extensions.modules.taskservs[0]: aws is a provider, but it is declared under taskservs')
    expect(error.hint).toBe('move it to dependencies.extensions.modules.providers')
    expect(error.details).toMatchObject({name: 'aws', declared: 'taskserv', actual: 'provider'})
    expect(await installedDirs(ws)).toEqual({})
  })

  it('an artifact whose manifest names another extension than its repository is refused', async () => {
    await use({taskservs: ['impostor']})
    const result = await depResolve(ws, box.env, ['--json'])
    expect(result.exitCode).toBe(5)
    const {error} = json<ErrorDoc>(result)
    expect(error.message).toBe(`${registry.host}/provisioning-extensions/impostor:7.2.0 declares name "redis", but was found as "impostor"`)
    expect(error.hint).toContain('re-publish it under its own name')
    expect(error.details).toMatchObject({expected: 'impostor', actual: 'redis'})
    expect(await installedDirs(ws)).toEqual({})
    expect(await readLock(ws)).toBeUndefined()
  })

  describe('a lockfile edited by hand', () => {
    let clean: string
    beforeAll(async () => {
      await use({providers: ['aws:2.1.0'], taskservs: [{name: 'redis', version: '^7'}]})
      const result = await depResolve(ws, box.env)
      if (result.exitCode !== 0) throw new Error(result.stderr)
      clean = (await readLock(ws)) as string
    })

    const damaged: Record<string, (lock: string) => string> = {
      'not YAML': () => 'extensions: [{{{ oops\n',
      'merge-conflict markers': (lock) => lock.replace('  - name: redis', '<<<<<<< HEAD\n  - name: redis').replace(/\n$/, '\n=======\n>>>>>>> other\n'),
      'wrong shapes': () => 'lockfile_version: 1\ninputs_digest: banana\nextensions: 7\n',
      'a dependency it does not list': (lock) => lock.replace(/(name: redis\n(?:.*\n)*? {4}dependencies:) \{\}/, '$1\n      ghost: 1.0.0'),
    }

    for (const [index, [what, damage]] of Object.entries(damaged).entries()) {
      // --dry-run takes the same path as --frozen here; checked once to spare start-ups.
      const flags = index === 0 ? ['--frozen', '--dry-run'] : ['--frozen']
      it(`(${what}): ${flags.join(' and ')} exit 3 and keep it; a plain run re-resolves and rewrites it`, async () => {
        const nonsense = damage(clean)
        expect(nonsense).not.toBe(clean)
        await writeFile(lockPath(ws), nonsense)
        for (const flag of flags) {
          const refused = await depResolve(ws, box.env, [flag, '--json'])
          expect(refused.exitCode, `${flag}: ${refused.stdout}`).toBe(3)
          const {error} = json<ErrorDoc>(refused)
          expect(error.message).toContain(`${lockPath(ws)} is not a valid lockfile: `)
          expect(error.hint).toContain('run "provisioning dep resolve" to re-resolve and rewrite it')
          expect(await readLock(ws)).toBe(nonsense)
        }
        const plain = await depResolve(ws, box.env)
        expect(plain.exitCode, plain.stderr).toBe(0)
        expect(plain.stderr).toContain(`Warning: ${lockPath(ws)} is not a valid lockfile`)
        expect(plain.stderr).toContain('re-resolved from the declaration and rewrote it')
        expect(await readLock(ws)).toBe(clean)
      })
    }

    it('(a digest the registry does not have): exit 4 naming the extension, the digest and the way out', async () => {
      await writeFile(lockPath(ws), clean.replace(/(name: redis\n(?:.*\n)*? {4}digest: sha256:)[0-9a-f]{4}/, '$10000'))
      const forged = (await readLock(ws)) as string
      const digest = /name: redis\n(?:.*\n)*? {4}digest: (sha256:[0-9a-f]{64})/.exec(forged)?.[1] as string
      expect(digest.startsWith('sha256:0000')).toBe(true)
      const {rm} = await import('node:fs/promises')
      await rm(`${ws}/extensions/taskservs/redis`, {recursive: true})
      const result = await depResolve(ws, box.env, ['--json'])
      expect(result.exitCode).toBe(4)
      const {error} = json<ErrorDoc>(result)
      expect(error.message).toContain(`redis@7.2.0: ${registry.host}/provisioning-extensions/redis:7.2.0 no longer has the pinned content ${digest}`)
      expect(error.hint).toContain('provisioning dep update redis')
      expect(await readLock(ws)).toBe(forged)
      // The rest of the workspace is as it was.
      expect(Object.keys(await installedDirs(ws))).toEqual(['providers/aws'])
      await writeFile(lockPath(ws), clean)
      const healed = json<ResolveDoc>(await depResolve(ws, box.env, ['--json']))
      expect(healed).toMatchObject({followedLock: true, installed: ['redis']})
    })
  })
})
