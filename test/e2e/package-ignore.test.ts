import {execFileSync} from 'node:child_process'
import {cp, mkdir, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {bareWorkspace, declare, depResolve, type ErrorDoc, installedDirs, writeExtension} from '../helpers/deps.js'
import {type Sandbox, sandbox} from '../helpers/workspace.js'

interface PackageDoc {
  path: string
  digest: string
  excluded: Array<{path: string; rule: string; from: string}>
}

/** Entry names of a .tar.gz, as GNU tar lists them. */
async function archiveEntries(file: string): Promise<string[]> {
  const {stdout} = await execa('tar', ['-tzf', file])
  return stdout.split('\n').filter(Boolean).sort()
}

/** An extension folder with the junk a working copy collects: a git repository, secrets, editor files. */
async function junkyExtension(dir: string, name = 'junky'): Promise<void> {
  await writeExtension(
    dir,
    {name, version: '1.0.0'},
    {
      'scripts/install.sh': '#!/bin/sh\necho install\n',
      'docs/README.md': '# junky\n',
      '.env': 'API_TOKEN=secret\n',
      '.env.local': 'API_TOKEN=other\n',
      'scripts/.install.sh.swp': 'vim swap',
      'scripts/install.sh~': 'backup',
      'docs/.DS_Store': 'finder',
    },
  )
  execFileSync('git', ['init', '-q', dir])
  execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'init'])
}

const EXPECTED_ENTRIES = ['docs/', 'docs/README.md', 'manifest.yaml', 'scripts/', 'scripts/install.sh']

describe('packaging honours .provisioningignore (built CLI)', () => {
  let box: Sandbox
  const cli = (args: string[], cwd = box.root) => runCli(args, {env: box.env, cwd})
  beforeAll(async () => {
    box = await sandbox()
    box.env.PROVISIONING_OCI__REGISTRY = `oci-layout://${path.join(box.root, 'store')}`
  })
  afterAll(() => box.cleanup())

  it('packaging a folder twice inside itself gives the same digest; .git, .env*, editor files and the tarball stay out', async () => {
    const dir = path.join(box.root, 'twice')
    await junkyExtension(dir)
    const first = await cli(['oci', 'package', '.', '--json'], dir)
    expect(first.exitCode, first.stderr).toBe(0)
    const second = await cli(['oci', 'package', '.', '--json'], dir)
    expect(second.exitCode, second.stderr).toBe(0)
    const [a, b] = [json<PackageDoc>(first), json<PackageDoc>(second)]
    expect(b.digest).toBe(a.digest)
    expect(b.path).toBe(path.join(dir, 'junky-1.0.0.tar.gz'))
    expect(await archiveEntries(b.path)).toEqual(EXPECTED_ENTRIES)
    // The second run found the first tarball in the folder and left it out by the default rule.
    expect(b.excluded.map((e) => e.path)).toEqual(
      expect.arrayContaining(['.env', '.env.local', '.git/', 'junky-1.0.0.tar.gz', 'scripts/.install.sh.swp', 'scripts/install.sh~', 'docs/.DS_Store']),
    )
    expect(b.excluded.find((e) => e.path === '.git/')).toEqual({path: '.git/', rule: '.git/', from: 'default'})

    // The same folder without any junk packs to the very same bytes.
    const clean = path.join(box.root, 'clean', 'junky')
    await writeExtension(clean, {name: 'junky', version: '1.0.0'}, {'scripts/install.sh': '#!/bin/sh\necho install\n', 'docs/README.md': '# junky\n'})
    const out = path.join(box.root, 'clean-out')
    await mkdir(out)
    const cleanDoc = json<PackageDoc>(await cli(['oci', 'package', clean, '--output', out, '--json']))
    expect(cleanDoc.digest).toBe(a.digest)
    expect(cleanDoc.excluded).toEqual([])
  })

  it('a custom .provisioningignore adds rules and re-includes with negation', async () => {
    const dir = path.join(box.root, 'custom')
    await writeExtension(
      dir,
      {name: 'custom', version: '1.0.0'},
      {
        'scripts/run.sh': 'run',
        'scripts/debug.log': 'noise',
        'scripts/keep.log': 'kept',
        'build/out.o': 'object',
        'docs/.env.example': 'API_TOKEN=',
        '.env': 'API_TOKEN=secret',
        '.provisioningignore': '# local rules\n*.log\n!keep.log\nbuild/\n!.env.example\n',
      },
    )
    const result = await cli(['oci', 'package', dir, '--output', box.root, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const doc = json<PackageDoc>(result)
    expect(await archiveEntries(doc.path)).toEqual(['docs/', 'docs/.env.example', 'manifest.yaml', 'scripts/', 'scripts/keep.log', 'scripts/run.sh'])
    expect(doc.excluded).toEqual(
      expect.arrayContaining([
        {path: 'build/', rule: 'build/', from: '.provisioningignore'},
        {path: 'scripts/debug.log', rule: '*.log', from: '.provisioningignore'},
        {path: '.env', rule: '.env*', from: 'default'},
        {path: '.provisioningignore', rule: '.provisioningignore', from: 'default'},
      ]),
    )
    // A rule cannot leave out manifest.yaml: the extension would no longer be one.
    await writeFile(path.join(dir, '.provisioningignore'), '*\n')
    const everything = await cli(['oci', 'package', dir, '--output', box.root, '--json'])
    expect(everything.exitCode, everything.stderr).toBe(0)
    expect(await archiveEntries(json<PackageDoc>(everything).path)).toEqual(['manifest.yaml'])
  })

  it('--verbose lists what was excluded on stderr, stdout keeps the result', async () => {
    const dir = path.join(box.root, 'verbose')
    await junkyExtension(dir, 'verbose')
    const result = await cli(['oci', 'package', dir, '--output', box.root, '--verbose'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toContain('excluded .git/ (default rule .git/)')
    expect(result.stderr).toContain('excluded .env (default rule .env*)')
    expect(result.stdout).toContain('wrote ')
    expect(result.stdout).not.toContain('excluded')
    const quiet = await cli(['oci', 'package', dir, '--output', box.root])
    expect(quiet.stderr).not.toContain('excluded')
  })

  it('oci push and a local source installed by dep resolve leave out the same entries', async () => {
    const dir = path.join(box.root, 'src', 'taskservs', 'pushed')
    await junkyExtension(dir, 'pushed')
    const push = await cli(['oci', 'push', dir, '--verbose', '--json'])
    expect(push.exitCode, push.stderr).toBe(0)
    expect(json<{excluded: Array<{path: string}>}>(push).excluded.map((e) => e.path)).toContain('.git/')
    expect(push.stderr).toContain('excluded .env (default rule .env*)')
    const out = path.join(box.root, 'pulled')
    expect((await cli(['oci', 'pull', 'pushed:1.0.0', '--output', out])).exitCode).toBe(0)
    expect((await readdir(out, {recursive: true})).sort()).toEqual(['docs', 'docs/README.md', 'manifest.yaml', 'scripts', 'scripts/install.sh'])

    const ws = await bareWorkspace(box.root, 'ws')
    await declare(ws, {local: path.join(box.root, 'src')}, {taskservs: ['pushed']})
    const resolved = await depResolve(ws, box.env)
    expect(resolved.exitCode, resolved.stderr).toBe(0)
    const installed = (await installedDirs(ws))['taskservs/pushed']
    expect((await readdir(installed, {recursive: true})).filter((f) => !f.startsWith('.installed')).sort()).toEqual([
      'docs',
      'docs/README.md',
      'manifest.yaml',
      'scripts',
      'scripts/install.sh',
    ])
  })

  it('a hostile .provisioningignore is refused (exit 10) without hanging or reading it whole: oversized, a FIFO, a link', async () => {
    const dir = path.join(box.root, 'hostile')
    await writeExtension(dir, {name: 'hostile', version: '1.0.0'}, {'scripts/run.sh': 'run'})
    const ignoreFile = path.join(dir, '.provisioningignore')
    const attempt = async () => {
      const result = await cli(['oci', 'package', dir, '--output', box.root, '--json'])
      expect(result.exitCode, result.stdout).toBe(10)
      const doc = json<ErrorDoc>(result)
      expect(doc.error.message).toContain('.provisioningignore')
      return doc.error.message
    }

    await writeFile(ignoreFile, `${'x'.repeat(1023)}\n`.repeat(100)) // 100 KiB of rules
    expect(await attempt()).toContain('more than the 65536 allowed')

    await rm(ignoreFile)
    execFileSync('mkfifo', [ignoreFile])
    expect(await attempt()).toContain('FIFO')

    await rm(ignoreFile)
    await symlink('/dev/zero', ignoreFile)
    expect(await attempt()).toContain('link')

    // A link to a harmless file inside the folder is refused too: links are never followed.
    await rm(ignoreFile)
    await writeFile(path.join(dir, 'rules.txt'), '*.log\n')
    await symlink('rules.txt', ignoreFile)
    await attempt()
    expect((await readdir(box.root)).filter((f) => f.startsWith('hostile-'))).toEqual([])

    const validate = await cli(['oci', 'package', 'validate', dir, '--json'])
    expect(validate.exitCode).toBe(10)
    expect(json<ErrorDoc>(validate).error.details.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({field: '.provisioningignore', severity: 'error'})]),
    )
  })

  it('packaging a folder whose .git holds many files skips it without walking it (copy check)', async () => {
    // The behaviour bench/package-ignore.sh measures: the digest does not depend on .git at all.
    const dir = path.join(box.root, 'bigit')
    await writeExtension(dir, {name: 'bigit', version: '1.0.0'}, {'scripts/run.sh': 'run'})
    const objects = path.join(dir, '.git', 'objects')
    await mkdir(objects, {recursive: true})
    await Promise.all(Array.from({length: 300}, (_, i) => writeFile(path.join(objects, `o${i}`), `object ${i}`)))
    const copy = path.join(box.root, 'bigit-copy')
    await cp(dir, copy, {recursive: true, filter: (src) => !src.includes(`${path.sep}.git`)})
    const [withGit, without] = await Promise.all(
      [dir, copy].map(async (d) => json<PackageDoc>(await cli(['oci', 'package', d, '--output', path.join(box.root, path.basename(d) + '-out'), '--json']))),
    )
    expect(withGit.digest).toBe(without.digest)
    expect(withGit.excluded).toEqual([{path: '.git/', rule: '.git/', from: 'default'}])
  })
})
