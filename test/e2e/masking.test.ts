import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {json, runCli} from '../helpers/cli.js'
import {writeOciLayout} from '../helpers/oci-layout.js'
import {initWorkspace, type Sandbox, sandbox, writeText} from '../helpers/workspace.js'

/**
 * README: secrets (keys named `*password`, `*token`, `*secret`, …, Authorization headers)
 * are shown as `***` everywhere. Both directions through the built CLI: what must be
 * masked is, and ordinary text that merely contains such a word is not.
 */
const SECRETS = ['hunter2', 's3cr3t-db', 'aws-s3cr3t', 'aws-lower-s3cr3t', 'dXNlcjpwYXNz', 'mirror-pass', 'tok-123']

describe('masking secrets, and only secrets (built CLI)', () => {
  let box: Sandbox
  let ws: string
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, {env: {...box.env, ...env}, cwd: ws})

  beforeAll(async () => {
    box = await sandbox()
    ws = await initWorkspace(box)
    await writeText(
      path.join(ws, 'config', 'dev-defaults.toml'),
      [
        '[vars]',
        'pgpassword = "hunter2"',
        'dbPassword = "s3cr3t-db"',
        'AWS_SECRET_ACCESS_KEY = "aws-s3cr3t"',
        'aws_secret_access_key = "aws-lower-s3cr3t"',
        'mirror = "https://mirror-user:mirror-pass@registry.example.com/v2"',
        'plain = "visible"',
        'author = "Jane"',
        'pinned = "auth:1.2.3"',
        'password_file = "/etc/app/password.txt"',
        '[oci]',
        'auth = "dXNlcjpwYXNz"',
        '[oci.creds]',
        'note = "GET /v2/?token=tok-123&page=2"',
      ].join('\n'),
    )
  })
  afterAll(() => box.cleanup())

  const expectNoSecret = (text: string) => {
    for (const secret of SECRETS) expect(text).not.toContain(secret)
  }

  it('config show (human and --json) and config get mask secret keys and URL userinfo, and show the rest', async () => {
    const human = await cli(['config', 'show'])
    expect(human.exitCode, human.stderr).toBe(0)
    expectNoSecret(human.stdout)
    for (const shown of ['visible', 'Jane', 'auth:1.2.3', '/etc/app/password.txt', 'https://mirror-user:***@registry.example.com/v2'])
      expect(human.stdout).toContain(shown)

    const doc = await cli(['config', 'show', '--json'])
    expect(doc.exitCode, doc.stderr).toBe(0)
    expectNoSecret(doc.stdout)
    const {value} = json<{value: {vars: Record<string, string>; oci: {auth: string; creds: {note: string}}}}>(doc)
    expect(value.vars).toMatchObject({
      pgpassword: '***',
      dbPassword: '***',
      AWS_SECRET_ACCESS_KEY: '***',
      aws_secret_access_key: '***',
      mirror: 'https://mirror-user:***@registry.example.com/v2',
      plain: 'visible',
      author: 'Jane',
      pinned: 'auth:1.2.3',
      password_file: '/etc/app/password.txt',
    })
    expect(value.oci.auth).toBe('***')
    expect(value.oci.creds.note).toBe('GET /v2/?token=***&page=2')

    const origin = await cli(['config', 'show', 'vars', '--origin', '--json', '--set', 'vars.pgpassword=newer'])
    expect(origin.exitCode, origin.stderr).toBe(0)
    expectNoSecret(origin.stdout)
    expect(origin.stdout).not.toContain('newer')

    for (const [key, expected] of [
      ['vars.pgpassword', '***'],
      ['oci.auth', '***'],
      ['vars.mirror', 'https://mirror-user:***@registry.example.com/v2'],
      ['vars.pinned', 'auth:1.2.3'],
    ]) {
      const got = await cli(['config', 'get', key])
      expect(got.exitCode, got.stderr).toBe(0)
      expect(got.stdout.trim()).toBe(expected)
    }
  })

  it('error messages keep references and entry names that merely contain a secret word', async () => {
    const badDigest = await cli(['oci', 'pull', 'auth:1.2.3@sha256:nothex', '--json'])
    expect(badDigest.exitCode, badDigest.stdout).toBe(2)
    expect(json<{error: {message: string}}>(badDigest).error.message).toBe('invalid reference "auth:1.2.3@sha256:nothex": bad digest "sha256:nothex"')
    const human = await cli(['oci', 'pull', 'auth:1.2.3@sha256:nothex'])
    expect(human.stderr).toContain('Error: invalid reference "auth:1.2.3@sha256:nothex"')

    const layout = path.join(box.root, 'evil-layout')
    await writeOciLayout(layout, {
      tag: '1.0.0',
      artifactType: 'application/vnd.provisioning.extension.v1',
      layer: [
        {name: 'manifest.yaml', content: 'name: evil\ntype: taskserv\nversion: 1.0.0\n'},
        {name: 'passwd', type: 'hardlink', linkname: '/etc/passwd'},
      ],
    })
    const unsafe = await cli(['oci', 'pull', `oci-layout://${layout}:1.0.0`, '--output', path.join(box.root, 'out'), '--json'])
    expect(unsafe.exitCode, unsafe.stdout + unsafe.stderr).toBe(8)
    const {error} = json<{error: {message: string; details: {entry: string; reason: string}}}>(unsafe)
    expect(error.message).toBe('unsafe archive entry "passwd": hardlink target "/etc/passwd" is an absolute path')
    expect(error.details).toMatchObject({entry: 'passwd'})
  })
})
