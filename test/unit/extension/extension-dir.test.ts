import {execFileSync} from 'node:child_process'
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {readExtensionDir} from '../../../src/lib/extension/extension-dir.js'
import {assertValidExtension, validateExtension} from '../../../src/lib/extension/validate.js'
import {distModule, isRoot, runAsNobody} from '../../helpers/unprivileged.js'
import {expectProvisioningError, makeTempDir, MINIMAL_MANIFEST, writeTree, writeValidExtension} from './helpers.js'

let root: string
let cleanup: () => Promise<void>
let ext: string

beforeEach(async () => {
  ;({root, cleanup} = await makeTempDir())
  ext = path.join(root, 'redis')
  await mkdir(ext)
})
afterEach(async () => cleanup())

const fieldsOf = (problems: Array<{field: string; severity: string}>, severity: string) => problems.filter((p) => p.severity === severity).map((p) => p.field)

describe('readExtensionDir', () => {
  it('lists every entry sorted by archive name, folders included, and parses the manifest', async () => {
    await writeValidExtension(ext, {'kcl-extra.txt': 'x', 'docs/link.md': {symlink: '../README.md'}})
    const {manifest, problems, files} = await readExtensionDir(ext)
    expect(manifest).toMatchObject({name: 'redis', type: 'taskserv', version: '7.2.0'})
    expect(files.map((f) => (f.kind === 'directory' ? `${f.path}/` : f.path))).toEqual([
      'README.md',
      'docs/',
      'docs/README.md',
      'docs/link.md',
      'kcl-extra.txt',
      'kcl/',
      'kcl/kcl.mod',
      'kcl/redis.k',
      'manifest.yaml',
      'scripts/',
      'scripts/install.sh',
      'templates/',
      'templates/redis.conf.j2',
      'tests/',
      'tests/smoke.sh',
    ])
    expect(files.find((f) => f.path === 'docs/link.md')).toMatchObject({kind: 'symlink', linkTarget: '../README.md'})
    expect(files.find((f) => f.path === 'scripts/install.sh')?.mode).toBe(0o755)
    // Only the unexpected top-level file is worth a word.
    expect(problems).toEqual([expect.objectContaining({severity: 'warning', field: 'kcl-extra.txt'})])
  })

  it('reports a missing manifest, suggesting a rename of manifest.yml', async () => {
    await writeTree(ext, {'manifest.yml': MINIMAL_MANIFEST})
    const {manifest, problems} = await readExtensionDir(ext)
    expect(manifest).toBeUndefined()
    expect(problems[0]).toMatchObject({severity: 'error', field: 'manifest.yaml', hint: 'rename manifest.yml to manifest.yaml'})
  })

  it('reports YAML syntax errors with line and column', async () => {
    await writeTree(ext, {'manifest.yaml': 'name: redis\ntype: taskserv: x\nversion: 1.0.0\n'})
    const {problems} = await readExtensionDir(ext)
    expect(problems[0]).toMatchObject({severity: 'error', field: 'manifest.yaml', line: 2, column: 7})
    expect(problems[0].hint).toBe('fix the YAML at line 2, column 7')
  })

  it('rejects symlinks leaving the folder, absolute ones and ".." after descending', async () => {
    await writeTree(root, {'outside.txt': 'secret'})
    await writeTree(ext, {
      'manifest.yaml': MINIMAL_MANIFEST,
      'docs/escape': {symlink: '../../outside.txt'},
      'docs/absolute': {symlink: path.join(root, 'outside.txt')},
      'docs/sneaky': {symlink: 'sub/../../..'},
      'docs/fine': {symlink: '../manifest.yaml'},
      'docs/dangling-inside': {symlink: 'nothing-here'},
    })
    const {problems} = await readExtensionDir(ext)
    expect(fieldsOf(problems, 'error')).toEqual(['docs/absolute', 'docs/escape', 'docs/sneaky'])
    expect(problems.find((p) => p.field === 'docs/escape')?.message).toContain('outside the extension folder')
  })

  it('rejects FIFOs, sockets and (when possible) device files', async () => {
    await writeTree(ext, {'manifest.yaml': MINIMAL_MANIFEST, 'scripts/ok.sh': 'x'})
    execFileSync('mkfifo', [path.join(ext, 'scripts', 'pipe')])
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(path.join(ext, 'scripts', 'sock'), resolve))
    let expected = ['scripts/pipe', 'scripts/sock']
    if (isRoot) {
      try {
        execFileSync('mknod', [path.join(ext, 'scripts', 'null'), 'c', '1', '3'], {stdio: 'ignore'})
        expected = ['scripts/null', ...expected]
      } catch {
        // no CAP_MKNOD in this container
      }
    }
    try {
      const {problems} = await readExtensionDir(ext)
      expect(fieldsOf(problems, 'error')).toEqual(expected)
      expect(problems.find((p) => p.field === 'scripts/pipe')?.message).toContain('a FIFO')
      expect(problems.find((p) => p.field === 'scripts/sock')?.message).toContain('a socket')
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('warns about unexpected top-level entries and standard names that are not folders', async () => {
    await writeTree(ext, {'manifest.yaml': MINIMAL_MANIFEST, docs: 'not a folder', LICENSE: 'MIT', 'CHANGELOG.md': '', 'build/out.o': '', '.env': 'X=1'})
    const {problems, excluded} = await readExtensionDir(ext)
    expect(fieldsOf(problems, 'error')).toEqual([])
    // .env is left out by the default .provisioningignore rules, so it is no layout problem.
    expect(fieldsOf(problems, 'warning')).toEqual(['build', 'docs'])
    expect(excluded.map((e) => e.path)).toEqual(['.env'])
    expect(problems.find((p) => p.field === 'docs')?.message).toContain('expected a folder')
  })

  it('reports unreadable files and folders', async () => {
    await writeTree(ext, {'manifest.yaml': MINIMAL_MANIFEST, 'kcl/secret.k': 'x', 'docs/private/a.md': 'x'})
    await chmod(path.join(ext, 'kcl', 'secret.k'), 0o000)
    await chmod(path.join(ext, 'docs', 'private'), 0o000)
    try {
      // As root (CI containers) mode bits stop nothing: the same read runs as nobody.
      const {problems} = isRoot
        ? await runAsNobody<{problems: Array<{field: string; severity: string}>}>(
            root,
            `
            const {readExtensionDir} = await import(${JSON.stringify(distModule('lib/extension/extension-dir.js'))})
            const {problems} = await readExtensionDir(${JSON.stringify(ext)})
            console.log(JSON.stringify({problems}))`,
          )
        : await readExtensionDir(ext)
      expect(fieldsOf(problems, 'error')).toEqual(['docs/private', 'kcl/secret.k'])
    } finally {
      await chmod(path.join(ext, 'docs', 'private'), 0o755)
    }
  })

  it('fails for a missing folder (exit 4) and for a file (exit 10)', async () => {
    expect((await expectProvisioningError(() => readExtensionDir(path.join(root, 'nope')))).exit).toBe(4)
    await writeFile(path.join(root, 'file'), '')
    expect((await expectProvisioningError(() => readExtensionDir(path.join(root, 'file')))).exit).toBe(10)
  })
})

describe('validateExtension / assertValidExtension', () => {
  it('passes a valid extension', async () => {
    await writeValidExtension(ext)
    const report = await validateExtension(ext)
    expect(report).toMatchObject({valid: true, errors: 0, warnings: 0, problems: []})
    expect((await assertValidExtension(ext)).manifest.name).toBe('redis')
  })

  it('throws one ValidationError (exit 10) listing every error, manifest and structure alike', async () => {
    await writeTree(root, {'outside.txt': 'x'})
    await writeTree(ext, {
      'manifest.yaml': 'name: Redis\ntype: service\nversion: v1\ndependencies:\n  redis: "*"\nextra: 1\n',
      'scripts/escape': {symlink: '../../outside.txt'},
      'stray.txt': 'x',
    })
    execFileSync('mkfifo', [path.join(ext, 'scripts', 'pipe')])
    const report = await validateExtension(ext)
    expect(report).toMatchObject({valid: false})
    expect([report.errors, report.warnings]).toEqual([5, 2])

    const error = await expectProvisioningError(() => assertValidExtension(ext))
    expect(error.exit).toBe(10)
    expect(error.code).toBe('E_VALIDATION')
    expect(error.message).toContain('(5 errors)')
    for (const field of ['name', 'type', 'version', 'scripts/escape', 'scripts/pipe']) expect(error.message).toContain(`  - ${field}: `)
    expect(error.message).not.toContain('stray.txt') // warnings are in details, not in the message
    const problems = error.details.problems as Array<{field: string}>
    expect(problems.map((p) => p.field)).toEqual(expect.arrayContaining(['extra', 'stray.txt', 'scripts/pipe']))
  })
})
