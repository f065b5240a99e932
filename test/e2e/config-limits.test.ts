import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {type CliResult, json, runCli} from '../helpers/cli.js'
import {initWorkspace, type Sandbox, sandbox, writeText} from '../helpers/workspace.js'

/**
 * Pathological local input (issue 10): files that are valid enough to parse but would
 * expand without bound or recurse past the stack get a configuration error (exit 3) naming
 * the file, in bounded time, instead of an internal error; large values still print whole.
 */
interface ErrorDoc {
  error: {code: string; message: string; exit: number; hint?: string}
}

/** Generous for 2 busy cores; the unbounded cases ran out of stack or memory instead. */
const BOUNDED_MS = 30_000

describe('pathological configuration input (built CLI)', () => {
  let box: Sandbox
  let ws: string
  let workspaceYaml: string
  const envFile = () => path.join(ws, 'config', 'dev-defaults.toml')
  const configFile = () => path.join(ws, 'config', 'provisioning.yaml')
  const lockFile = () => path.join(ws, 'config', 'provisioning.lock')

  beforeAll(async () => {
    box = await sandbox()
    ws = await initWorkspace(box)
    workspaceYaml = await readFile(configFile(), 'utf8')
  })
  afterAll(() => box.cleanup())
  beforeEach(async () => {
    await writeText(configFile(), workspaceYaml)
    await writeText(envFile(), '# dev\n')
  })

  async function refused(args: string[], exit = 3): Promise<ErrorDoc['error']> {
    const started = Date.now()
    const result: CliResult = await runCli([...args, '--json'], {env: box.env, cwd: ws})
    expect(Date.now() - started).toBeLessThan(BOUNDED_MS)
    expect(result.exitCode, result.stdout + result.stderr).toBe(exit)
    const {error} = json<ErrorDoc>(result)
    expect(error.exit).toBe(exit)
    expect(error.message).not.toMatch(/internal error|call stack/)
    return error
  }

  it('a YAML alias bomb in the workspace config is exit 3 naming the file', async () => {
    const levels = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
    for (let i = 1; i < 10; i++) levels.push(`l${i}: &l${i} [${Array.from({length: 9}, () => `*l${i - 1}`).join(', ')}]`)
    await writeText(configFile(), `${workspaceYaml}\n${levels.join('\n')}\n`)
    const error = await refused(['config', 'show'])
    expect(error.code).toBe('E_CONFIG')
    expect(error.message).toContain(`${configFile()} uses YAML aliases that expand too much`)
    expect(error.hint).toContain('anchors')
  })

  it('a YAML alias bomb in the lockfile is exit 3 naming it (--frozen); a plain run re-resolves and rewrites it', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i < 12; i++)
      bomb.push(`${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array.from({length: 10}, () => (i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`)).join(', ')}]`)
    await writeText(lockFile(), `${bomb.join('\n')}\n`)
    const error = await refused(['dep', 'resolve', '--frozen'])
    expect(error.message).toContain(`${lockFile()} is not a valid lockfile`)
    expect(error.message).toContain('YAML aliases that expand too much')
    const plain = await runCli(['dep', 'resolve'], {env: box.env, cwd: ws})
    expect(plain.exitCode, plain.stderr).toBe(0)
    expect(plain.stderr).toContain(`${lockFile()} is not a valid lockfile`)
    expect(await readFile(lockFile(), 'utf8')).toContain('lockfile_version')
  })

  it('a 5,000-level TOML table, dotted key or array of tables is exit 3 naming the file', async () => {
    const keys = Array.from({length: 5000}, () => 'a').join('.')
    for (const text of [`[${keys}]\nx = 1\n`, `${keys} = 1\n`, `[[${keys}]]\nx = 1\n`, `a = ${'['.repeat(5000)}${']'.repeat(5000)}\n`]) {
      await writeText(envFile(), text)
      const error = await refused(['config', 'show'])
      expect(error.message).toContain(envFile())
    }
  })

  it('deep or self-containing YAML, and a --set key thousands of levels deep, are refused', async () => {
    await writeText(configFile(), `${workspaceYaml}\ndeep:\n${Array.from({length: 200}, (_, i) => `${'  '.repeat(i + 1)}a:`).join('\n')} 1\n`)
    expect((await refused(['config', 'show'])).message).toContain(
      `${configFile()} nests tables and lists more than 64 levels deep (at deep.a.a.a.a.a.….a.a.a.a.a.a)`,
    )
    await writeText(configFile(), `${workspaceYaml}\nloop: &loop\n  again: *loop\n`)
    expect((await refused(['config', 'show'])).message).toContain(`${configFile()} has a value that contains itself at loop.again`)
    await writeText(configFile(), workspaceYaml)
    const error = await refused(['config', 'show', '--set', `${Array.from({length: 5000}, () => 'a').join('.')}=1`], 2)
    expect(error.message).toContain('more than 64 levels')
  })

  it('a 2,000-step interpolation chain is exit 3 naming the chain', async () => {
    const lines = ['[chain]', ...Array.from({length: 1999}, (_, i) => `a${i + 1} = "{{chain.a${i + 2}}}"`), 'a2000 = "end"']
    await writeText(envFile(), `${lines.join('\n')}\n`)
    const error = await refused(['config', 'show', 'chain.a1'])
    expect(error.message).toContain(envFile())
    expect(error.message).toContain('interpolation follows more than 32 references in a row (chain.a1 -> chain.a2 -> chain.a3 -> … ->')
  })

  it('exponential interpolation growth (40 doubling levels) is exit 3 at the size limit', async () => {
    const lines = ['[g]', 'a = "xy"', 'b1 = "{{g.a}}{{g.a}}"', ...Array.from({length: 39}, (_, i) => `b${i + 2} = "{{g.b${i + 1}}}{{g.b${i + 1}}}"`)]
    await writeText(envFile(), `${lines.join('\n')}\n`)
    const error = await refused(['config', 'show', 'g.a'])
    expect(error.message).toMatch(/g\.b\d+: interpolation makes the value longer than 1048576 characters/)
    expect(error.hint).toContain('exponentially')
    // One problem, not one per level.
    expect(error.message).not.toMatch(/configuration errors/)
  })

  it('an 8 MB string value prints whole with config show --json, --origin and config get', async () => {
    const big = 'x'.repeat(8 * 1024 * 1024)
    // An unknown key: its warning makes the loader look up lines in the TOML file.
    await writeText(envFile(), `[big]\nvalue = "${big}"\n`)
    const shown = await runCli(['config', 'show', '--json'], {env: box.env, cwd: ws})
    expect(shown.exitCode, shown.stderr).toBe(0)
    expect(json<{value: {big: {value: string}}}>(shown).value.big.value).toBe(big)
    const origin = await runCli(['config', 'show', 'big', '--origin', '--json'], {env: box.env, cwd: ws})
    expect(origin.exitCode, origin.stderr).toBe(0)
    expect(json<{origins: Array<{value: string; file: string}>}>(origin).origins[0]).toMatchObject({value: big, file: envFile()})
    const got = await runCli(['config', 'get', 'big.value'], {env: box.env, cwd: ws})
    expect(got.exitCode, got.stderr).toBe(0)
    expect(got.stdout.trim()).toBe(big)
  })

  it('left no parse-cache entry for any refused file', async () => {
    const cached = await readdir(path.join(box.home, 'cache', 'parsed')).catch(() => [] as string[])
    for (const name of cached.filter((file) => file.endsWith('.json'))) {
      const entry = await readFile(path.join(box.home, 'cache', 'parsed', name), 'utf8')
      expect(entry).not.toMatch(/"(l9|loop|deep)"/)
    }
  })
})
