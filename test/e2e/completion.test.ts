import {cp, mkdir, readdir, stat, utimes, writeFile} from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, exampleDir, EXAMPLES} from '../helpers/deps.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

describe('shell completion (bash, built CLI)', () => {
  let box: Sandbox
  let alpha: string
  let beta: string
  let script: string
  let registry: net.Server
  let registryConnections = 0

  /** Runs the generated completion function for a command line (the cursor on the last word). */
  async function complete(words: string[], cwd = box.root, env: Record<string, string> = {}): Promise<{candidates: string[]; stderr: string}> {
    const array = words.map((w) => `'${w}'`).join(' ')
    const result = await execa(
      'bash',
      ['-c', `source '${script}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _provisioning_complete; printf '%s\\n' "\${COMPREPLY[@]}"`],
      {env: {...box.env, ...env}, cwd, reject: false},
    )
    expect(result.exitCode, result.stderr).toBe(0)
    return {candidates: result.stdout.split('\n').filter(Boolean).sort(), stderr: result.stderr}
  }

  beforeAll(async () => {
    box = await sandbox()
    box.env.XDG_CACHE_HOME = path.join(box.root, 'xdg-cache')
    // A registry address that counts connections: completion must never make one.
    registry = net.createServer((socket) => {
      registryConnections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve))
    const port = (registry.address() as net.AddressInfo).port

    // The repository index, built for real by `oci search` against a layout registry.
    const layoutEnv = {...box.env, PROVISIONING_OCI__REGISTRY: `oci-layout://${box.root}/store`}
    expect(
      (await runCli(['oci', 'push', exampleDir('taskservs', 'helm', '3.13.0'), exampleDir('providers', 'upcloud', '1.5.0')], {env: layoutEnv, cwd: box.root}))
        .exitCode,
    ).toBe(0)
    expect((await runCli(['oci', 'search', 'helm'], {env: layoutEnv, cwd: box.root})).exitCode).toBe(0)
    await writeFile(path.join(box.home, 'config.user.toml'), `[oci]\nregistry = "127.0.0.1:${port}"\n`)

    alpha = await bareWorkspace(box.root, 'alpha')
    beta = await bareWorkspace(box.root, 'beta')
    await declare(
      alpha,
      {local: EXAMPLES},
      {
        taskservs: [
          {name: 'redis', version: '7.2.0'},
          {name: 'containerd', version: '1.6.9'},
        ],
        providers: [{name: 'aws', version: '2.1.0'}],
      },
    )
    const resolved = await depResolve(alpha, box.env)
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    await mkdir(path.join(alpha, 'config', 'modes'), {recursive: true})
    await writeFile(path.join(alpha, 'config', 'modes', 'staging.yaml'), 'mode: staging\n')
    for (const [name, dir] of [
      ['alpha', alpha],
      ['beta', beta],
    ])
      expect((await runCli(['workspace', 'register', name, dir], {env: box.env})).exitCode).toBe(0)

    const generated = await runCli(['completion', 'bash'], {env: box.env})
    expect(generated.exitCode, generated.stderr).toBe(0)
    script = path.join(box.root, 'provisioning.bash')
    await writeFile(script, generated.stdout)
  }, 120_000)
  afterAll(async () => {
    registry?.close()
    await box.cleanup()
  })

  it('workspace names after "workspace switch" and after -w / --workspace=', async () => {
    expect((await complete(['provisioning', 'workspace', 'switch', ''])).candidates).toEqual(['alpha', 'beta'])
    expect((await complete(['provisioning', 'workspace', 'info', 'al'])).candidates).toEqual(['alpha'])
    expect((await complete(['provisioning', 'dep', 'tree', '-w', ''])).candidates).toEqual(['alpha', 'beta'])
    expect((await complete(['provisioning', 'config', 'show', '--workspace', '=', 'b'])).candidates).toEqual(['beta'])
  })

  it("modes: the shipped ones plus the current workspace's own", async () => {
    expect((await complete(['provisioning', 'mode', 'switch', ''], beta)).candidates).toEqual(['cicd', 'enterprise', 'multi-user', 'solo'])
    expect((await complete(['provisioning', 'mode', 'show', ''], alpha)).candidates).toEqual(['cicd', 'enterprise', 'multi-user', 'solo', 'staging'])
    expect((await complete(['provisioning', 'mode', 'validate', 'st'], alpha)).candidates).toEqual(['staging'])
  })

  it('extension names from the lock, the installed folders and the repository indexes, by type', async () => {
    expect((await complete(['provisioning', 'module', 'unload', 'taskserv', ''], alpha)).candidates).toEqual(['containerd', 'helm', 'redis'])
    expect((await complete(['provisioning', 'module', 'load', 'provider', ''], alpha)).candidates).toEqual(['aws', 'upcloud'])
    expect((await complete(['provisioning', 'dep', 'tree', ''], alpha)).candidates).toEqual(['aws', 'containerd', 'helm', 'redis', 'upcloud'])
    // -w on the line chooses the workspace whose lock is read.
    expect((await complete(['provisioning', 'module', 'unload', '-w', 'alpha', 'taskservs', 'r'])).candidates).toEqual(['redis'])
    // beta has no lock and nothing installed: only the repository index.
    expect((await complete(['provisioning', 'dep', 'update', ''], beta)).candidates).toEqual(['helm', 'upcloud'])
  })

  it('the indexes of PROVISIONING_OCI__CACHE__DIR are read; an index folder untouched for a week (a removed repository) is not', async () => {
    const elsewhere = path.join(box.root, 'other-cache')
    await cp(path.join(box.home, 'cache', 'oci', 'repositories'), path.join(elsewhere, 'repositories'), {recursive: true})
    const env = {PROVISIONING_OCI__CACHE__DIR: elsewhere}
    expect(
      (await complete(['provisioning', 'dep', 'update', ''], beta, {PROVISIONING_OCI__CACHE__DIR: path.join(box.root, 'empty-cache')})).candidates,
    ).toEqual([])
    expect((await complete(['provisioning', 'dep', 'update', ''], beta, env)).candidates).toEqual(['helm', 'upcloud'])
    const weekAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000)
    for (const folder of await readdir(path.join(elsewhere, 'repositories'))) await utimes(path.join(elsewhere, 'repositories', folder), weekAgo, weekAgo)
    expect((await complete(['provisioning', 'dep', 'update', ''], beta, env)).candidates).toEqual([])
  })

  it('dep why and dep tree (also with --reverse) complete one extension name; a second position gets none', async () => {
    expect((await complete(['provisioning', 'dep', 'why', 're'], alpha)).candidates).toEqual(['redis'])
    expect((await complete(['provisioning', 'dep', 'tree', '--reverse', 'co'], alpha)).candidates).toEqual(['containerd'])
    expect((await complete(['provisioning', 'dep', 'why', 'redis', 're'], alpha)).candidates).not.toContain('redis')
  })

  it('only real workspace commands complete workspace names ("workspace activate" does not exist)', async () => {
    expect((await complete(['provisioning', 'workspace', 'activate', ''])).candidates).toEqual([])
    expect((await complete(['provisioning', 'workspace', 'unlock', ''])).candidates).toEqual(['alpha', 'beta'])
  })

  it('--workspace=NAME (split at "=" by bash) chooses the workspace and is no positional word', async () => {
    // From outside any workspace: the names can only come from alpha's lock, via --workspace=alpha.
    expect((await complete(['provisioning', 'module', 'unload', '--workspace', '=', 'alpha', 'taskserv', 'r'])).candidates).toEqual(['redis'])
    expect((await complete(['provisioning', 'dep', 'why', '--workspace', '=', 'alpha', 'c'])).candidates).toEqual(['containerd'])
    // Other value flags written with "=" skip their value too.
    expect((await complete(['provisioning', 'dep', 'why', '--env', '=', 'dev', '-w', 'alpha', 'r'])).candidates).toEqual(['redis'])
  })

  it('commands and flags still complete (the oclif part)', async () => {
    expect((await complete(['provisioning', 'workspace', 'sw'])).candidates).toEqual(['switch'])
    expect((await complete(['provisioning', 'module', 'load', '--sou'])).candidates).toEqual(['--source'])
  })

  it('never touches the network', () => {
    expect(registryConnections).toBe(0)
  })

  it('a broken config, registry file, lock and index: no candidates from them, no error and no secret on the terminal', async () => {
    const broken = await sandbox()
    try {
      const env = {...box.env, PROVISIONING_HOME: broken.home}
      await mkdir(path.join(broken.home, 'config'), {recursive: true})
      await writeFile(path.join(broken.home, 'config', 'user_config.yaml'), 'workspaces: [{name: "ok", path: "/x"}\npassword: hunter2-secret\n')
      await writeFile(path.join(broken.home, 'config.user.toml'), 'token = "hunter2-secret"\n[oci\n')
      const indexFile = path.join(broken.home, 'cache', 'oci', 'repositories', 'default-0123456789abcdef', 'index.json')
      const version = {tag: '1.0.0', digest: `sha256:${'a'.repeat(64)}`, type: 'taskserv', keywords: []}
      const hostileIndex = JSON.stringify({
        format: 1,
        source: 'reg/ns',
        synced: new Date().toISOString(),
        extensions: ['$(touch pwned)', 'hunter2-secret\u001b[2J', 'good-one'].map((name) => ({name, path: `ns/${name}`, versions: [version]})),
      })
      await mkdir(path.dirname(indexFile), {recursive: true})
      await writeFile(indexFile, hostileIndex.slice(0, -1))
      const ws = await bareWorkspace(broken.root, 'ws')
      await writeFile(path.join(ws, 'config', 'provisioning.lock'), 'lockfile_version: [\n  password: hunter2-secret\n')
      const run = (words: string[]) =>
        execa(
          'bash',
          [
            '-c',
            `source '${script}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _provisioning_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
          ],
          {env, cwd: ws, reject: false},
        )
      for (const words of [
        ['provisioning', 'workspace', 'switch', ''],
        ['provisioning', 'mode', 'switch', ''],
        ['provisioning', 'dep', 'tree', ''],
      ]) {
        const result = await run(words)
        expect(result.exitCode).toBe(0)
        expect(result.stderr).toBe('')
        expect(result.stdout).not.toContain('hunter2')
        expect(result.stdout).not.toMatch(/error|Error/)
      }
      // The JSON index above is truncated (invalid): nothing from it, not even the good name.
      expect((await run(['provisioning', 'dep', 'tree', ''])).stdout.trim()).toBe('')
      // A valid index with hostile names: only the plain name gets through.
      await writeFile(indexFile, hostileIndex)
      expect((await run(['provisioning', 'dep', 'tree', ''])).stdout.trim()).toBe('good-one')
      expect(
        await stat(path.join(ws, 'pwned')).then(
          () => true,
          () => false,
        ),
      ).toBe(false)
      expect((await run(['provisioning', 'mode', 'switch', ''])).stdout.trim().split('\n')).toEqual(['cicd', 'enterprise', 'multi-user', 'solo'])
    } finally {
      await broken.cleanup()
    }
  })
})
