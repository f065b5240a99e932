import {describe, expect, it} from 'vitest'

import {isSecretKey, redact} from '../../../src/lib/util/redact.js'

describe('redact (free text)', () => {
  it.each([
    ['PGPASSWORD=hunter2 psql', 'PGPASSWORD=*** psql'],
    ['export AWS_SECRET_ACCESS_KEY=abc/def+g', 'export AWS_SECRET_ACCESS_KEY=***'],
    ['aws_secret_access_key = "zzz"', 'aws_secret_access_key = "***"'],
    ['dbPassword: s3cr3t', 'dbPassword: ***'],
    ['{"password":"p1","auth":"dXNlcjpwYXNz","user":"u"}', '{"password":"***","auth":"***","user":"u"}'],
    ['Authorization: Bearer eyJabc.def', 'Authorization: Bearer ***'],
    ['{"authorization":"Basic dXNlcjpwYXNz"}', '{"authorization":"Basic ***"}'],
    ['https://user:pa55@registry.example.com/v2/', 'https://user:***@registry.example.com/v2/'],
    ['GET /v2/?token=abc&x=1', 'GET /v2/?token=***&x=1'],
    ['--set oci.password=xyz', '--set oci.password=***'],
    // Quoted values whole, commas inside a value, YAML flow maps.
    ['password: "a b c"', 'password: "***"'],
    ["token='x,y z'", "token='***'"],
    ['password=x,y&next=1', 'password=***&next=1'],
    ['{password: x, user: u}', '{password: ***, user: u}'],
  ])('masks %s', (text, expected) => {
    expect(redact(text)).toBe(expected)
  })

  it.each([
    'cannot pull auth:1.2.3: not found',
    'unsafe archive entry "passwd": hardlink target "/etc/passwd" is not a file extracted earlier',
    'authorization failed for registry example.com',
    'oci.token_ttl: 24h',
    'password_file=/etc/x',
    'the author: Jane',
    'no extension named auth (token:1.0.0 neither)',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redact(text)).toBe(text)
  })

  it('keeps a JSON text JSON (escaped quotes and backslashes in values)', () => {
    const out = redact(JSON.stringify({password: 'a"b\\c', note: 'x password=q"uote', entry: 'passwd'}))
    expect(JSON.parse(out)).toEqual({password: '***', note: 'x password=***"uote', entry: 'passwd'})
  })

  it('takes linear time on megabytes', () => {
    const started = Date.now()
    for (const text of ['x'.repeat(8e6), 'password'.repeat(1e6), `"password":"${'x'.repeat(8e6)}"`, `//a:${'b'.repeat(8e6)}`]) redact(text)
    // ~0.2 s idle; a quadratic pattern would take hours. Generous for 2 busy cores.
    expect(Date.now() - started).toBeLessThan(15_000)
  })
})

describe('isSecretKey (config keys)', () => {
  it.each([
    'pgpassword',
    'vars.dbPassword',
    'env.AWS_SECRET_ACCESS_KEY',
    'aws_secret_access_key',
    'oci.auth',
    'oci.auth.username',
    'vars.client_secret',
    'x.api-key',
    'oci.password',
  ])('%s is secret', (key) => {
    expect(isSecretKey(key)).toBe(true)
  })

  it.each([
    'oci.auth_token_path',
    'authentication.token_ttl',
    'manifest.author',
    'oci.registry',
    'authentication.credentials_required',
    'oci.trusted_keys',
    'password_file',
    '',
  ])('%s is not', (key) => {
    expect(isSecretKey(key)).toBe(false)
  })
})
