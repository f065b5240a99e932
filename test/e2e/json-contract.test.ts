import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {repoRoot, runCli} from '../helpers/cli.js'
import {initWorkspace, type Sandbox, sandbox} from '../helpers/workspace.js'

/**
 * SPEC §3: with --json, stdout holds exactly one JSON document, on success and on
 * error. Every command in the manifest must appear here, so a new command cannot
 * skip the contract.
 */
const CASES: Record<string, string[][]> = {
  'config show': [[], ['oci', '--origin'], ['no.such.key']],
  'config get': [['oci.registry'], ['no.such.key']],
  'config validate': [[]],
  'config layers': [[]],
  'workspace init': [['fresh'], ['demo']],
  'workspace list': [[]],
  'workspace active': [[]],
  'workspace switch': [['demo'], ['ghost']],
  'workspace register': [['ghost', '/nonexistent']],
  'workspace migrate-to-oci': [['demo', '--dry-run'], ['ghost']],
  'workspace remove': [['ghost']],
  'workspace info': [[], ['ghost']],
  'workspace lock': [['demo', '--reason', 'contract'], ['demo'], ['demo', '--provider', 'etcd'], ['ghost']],
  'workspace unlock': [['demo'], ['demo'], ['ghost']],
  'workspace cleanup': [['demo', '--dry-run'], ['demo'], ['ghost']],
  'mode list': [[]],
  'mode current': [[]],
  'mode show': [['cicd'], ['ghost']],
  'mode switch': [['enterprise'], ['solo']],
  'mode validate': [['solo'], ['enterprise']],
  // Nothing is started here: the sandbox's default port 5000 may be taken, so the success
  // cases switch auto_start off and the failing ones name missing services or binaries.
  'platform list': [[]],
  'platform status': [[], ['ghost']],
  'platform start': [['--set', 'platform.services.oci-registry.auto_start=false'], ['ghost'], ['orchestrator']],
  'platform health': [['--set', 'platform.services.oci-registry.auto_start=false'], ['oci-registry']],
  'platform logs': [['oci-registry'], ['oci-registry', '--follow'], ['ghost']],
  'platform stop': [[], ['ghost']],
  'platform restart': [[], ['ghost']],
  'oci-registry status': [[]],
  'oci-registry start': [['--set', 'platform.services.oci-registry.command=/nonexistent/zot']],
  'oci-registry stop': [[]],
  // oci commands run against a layout store in the sandbox (PROVISIONING_OCI__REGISTRY below).
  'generate extension': [
    ['taskserv', 'gen-one'],
    ['bogus', 'x'],
  ],
  'oci package validate': [['ext/demo'], ['ext/missing']],
  'oci package': [['ext/demo', '--output', 'pkg'], ['ext/missing']],
  'oci push': [['ext/demo'], ['ext/demo', '--dry-run'], ['ext/missing']],
  'oci tags': [['demo'], ['ghost']],
  'oci tag': [
    ['demo:0.1.0', 'stable'],
    ['demo:0.1.0', 'bad tag'],
    ['ghost:1.0.0', 'stable'],
  ],
  'oci inspect': [['demo:0.1.0'], ['ghost:1.0.0']],
  'oci pull': [['demo:0.1.0', '--output', 'pulled'], ['demo:0.1.0', '--output', 'pulled'], ['ghost:1.0.0']],
  'oci list': [[]],
  'oci search': [['demo'], ['nothing-matches']],
  'repo sync': [[], ['ghost']],
  'oci copy': [
    ['demo:0.1.0', 'copied:0.1.0'],
    ['ghost:1.0.0', 'x:1.0.0'],
  ],
  'oci config': [[]],
  'oci login': [['127.0.0.1:9', '--username', 'u', '--password-stdin']],
  'oci logout': [['127.0.0.1:9']],
  'oci delete': [['copied:0.1.0'], ['copied:0.1.0', '--yes']],
  'oci key generate': [
    ['--output', 'keys'],
    ['--output', 'keys', '--password-stdin'],
  ],
  'oci sign': [['demo:0.1.0', '--key', 'missing.key']],
  'oci verify': [['demo:0.1.0', '--key', 'missing.pub'], ['demo:0.1.0']],
  // dep and module run in the sandbox workspace "demo" against the layout store above.
  'module load': [
    ['taskserv', 'demo'],
    ['taskserv', 'ghost'],
  ],
  'module list': [[], ['taskserv']],
  'module discover': [[], ['taskserv', 'dem']],
  'module resolve': [
    ['taskserv', 'demo'],
    ['taskserv', 'ghost'],
  ],
  'dep resolve': [[], ['--frozen'], ['--dry-run'], ['--force']],
  'dep validate': [[]],
  'dep verify': [[]],
  'dep tree': [[], ['ghost']],
  'dep why': [['demo'], ['ghost']],
  'dep graph': [['--format', 'mermaid']],
  'dep check-updates': [[]],
  'dep update': [[], ['demo', '--dry-run']],
  'module unload': [
    ['taskserv', 'demo'],
    ['taskserv', 'ghost'],
  ],
  'repo add': [
    ['scratch', 'oci-layout://./no-such-store', '--mode', 'rw'],
    ['later', 'oci://127.0.0.1:1/x', '--insecure-skip-check'],
    ['Bad.Name', 'oci://127.0.0.1:1/x'],
  ],
  'repo list': [[], ['--all', '--selector', 'env=prod'], ['--selector', 'env in (prod']],
  'repo show': [['default'], ['ghost']],
  'repo update': [
    ['later', '--label', 'env=dev'],
    ['default', '--priority', '1'],
  ],
  'repo validate': [['default'], ['ghost']],
  'repo remove': [['later'], ['ghost']],
  audit: [[], ['--since', '1h'], ['--since', 'bogus']],
  completion: [['bash'], ['fish']],
}
const PLUGIN_COMMANDS = new Set(['help', 'autocomplete', 'autocomplete:create', 'autocomplete create'])

describe('--json contract', () => {
  let box: Sandbox
  let manifestIds: string[]
  beforeAll(async () => {
    box = await sandbox()
    await initWorkspace(box, 'demo', ['--activate'])
    box.env.PROVISIONING_OCI__REGISTRY = `oci-layout://${box.root}/store`
    const generated = await runCli(['generate', 'extension', 'taskserv', 'demo', '--path', 'ext/demo'], {env: box.env, cwd: box.root})
    if (generated.exitCode !== 0) throw new Error(generated.stderr)
    const manifest = JSON.parse(await readFile(path.join(repoRoot, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    manifestIds = Object.keys(manifest.commands).map((id) => id.replaceAll(':', ' '))
  })
  afterAll(() => box.cleanup())

  it('covers every command of the manifest', () => {
    expect(manifestIds.filter((id) => !PLUGIN_COMMANDS.has(id) && !(id in CASES))).toEqual([])
  })

  for (const [id, argSets] of Object.entries(CASES)) {
    it(`${id} prints one JSON document on stdout`, async () => {
      for (const args of argSets) {
        const result = await runCli([...id.split(' '), ...args, '--json'], {env: {...box.env, PROVISIONING_WORKSPACE: ''}, cwd: box.root})
        let doc: Record<string, unknown>
        try {
          doc = JSON.parse(result.stdout) as Record<string, unknown>
        } catch {
          throw new Error(`${id} ${args.join(' ')}: stdout is not one JSON document:\n${result.stdout}\nstderr:\n${result.stderr}`)
        }
        if (result.exitCode === 0) expect(doc.error).toBeUndefined()
        else {
          const error = doc.error as {code: string; exit: number; message: string}
          expect(error.exit).toBe(result.exitCode)
          expect(error.code).toMatch(/^E_[A-Z_]+$/)
          expect(error.message.length).toBeGreaterThan(0)
        }
      }
    })
  }

  it('answers usage errors with exit 2 and a JSON error', async () => {
    const result = await runCli(['config', 'get', '--json'], {env: box.env})
    expect(result.exitCode).toBe(2)
    expect(JSON.parse(result.stdout).error.code).toBe('E_USAGE')
    const unknownFlag = await runCli(['mode', 'list', '--nope', '--json'], {env: box.env})
    expect(unknownFlag.exitCode).toBe(2)
    expect(JSON.parse(unknownFlag.stdout).error.code).toBe('E_USAGE')
  })
})
