import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode} from '../../../src/lib/errors.js'
import {parseLocation} from '../../../src/lib/oci/reference.js'
import {policyFor, trustSettingsFrom, verifiesAnywhere} from '../../../src/lib/signing/trust-policy.js'
import {expectProvisioningError, makeSandbox, type Sandbox} from '../config/helpers.js'

let sb: Sandbox
beforeEach(async () => {
  sb = await makeSandbox()
})
afterEach(async () => {
  await sb.cleanup()
})

const remote = parseLocation('registry.example.com:5000')

describe('trust settings', () => {
  it('are off with no keys by default, and verify nowhere', async () => {
    const settings = trustSettingsFrom(await sb.load())
    expect(settings.global).toEqual({verify: false, keyFiles: [], keysSetting: 'oci.trusted_keys'})
    expect(settings.scopes).toEqual([])
    expect(settings.requireSignedPush).toBe(false)
    expect(settings.signingKey).toBeUndefined()
    expect(verifiesAnywhere(settings)).toBe(false)
  })

  it('in a mode that requires verification (enterprise), verify everywhere whatever a later layer or a scope says', async () => {
    await sb.write(
      'ws/config/provisioning.yaml',
      'workspace:\n  name: demo\noci:\n  verify_signatures: false\n  trust:\n    - {scope: "registry.example.com:5000", verify_signatures: false}\n',
    )
    const solo = trustSettingsFrom(await sb.load())
    expect(solo.requiredByMode).toBeUndefined()
    expect(policyFor(solo, remote, 'team/redis').verify).toBe(false)
    const enterprise = trustSettingsFrom(await sb.load({mode: 'enterprise'}))
    expect(enterprise.requiredByMode).toBe('enterprise')
    expect(verifiesAnywhere(enterprise)).toBe(true)
    expect(policyFor(enterprise, remote, 'team/redis').verify).toBe(true)
    expect(policyFor(enterprise, parseLocation('other.example.com'), 'x/y').verify).toBe(true)
  })

  it('resolve relative key paths against the file that set them, and runtime ones against the working folder', async () => {
    await sb.write(
      'home/config.user.toml',
      '[oci]\nverify_signatures = true\ntrusted_keys = ["keys/user.pem", "/abs/other.pem"]\nsigning_key = "~/signing.pem"\n',
    )
    const fromFile = trustSettingsFrom(await sb.load())
    expect(fromFile.global.verify).toBe(true)
    expect(fromFile.global.keyFiles).toEqual([path.join(sb.home, 'keys', 'user.pem'), '/abs/other.pem'])
    expect(fromFile.signingKey).toBe(path.join(process.env.HOME as string, 'signing.pem'))

    const fromFlag = trustSettingsFrom(await sb.load({sets: ['oci.trusted_keys=["k.pem"]']}))
    expect(fromFlag.global.keyFiles).toEqual([path.join(sb.outside, 'k.pem')])
  })

  it('interpolate key paths like any config value', async () => {
    await sb.write(
      'ws/config/provisioning.yaml',
      'workspace:\n  name: demo\noci:\n  trusted_keys: ["{{workspace.path}}/keys/team.pem"]\n  require_signed_push: true\n',
    )
    const settings = trustSettingsFrom(await sb.load())
    expect(settings.global.keyFiles).toEqual([path.join(sb.ws, 'keys', 'team.pem')])
    expect(settings.requireSignedPush).toBe(true)
  })

  it('take the most specific oci.trust scope, inheriting what it leaves out', async () => {
    await sb.write(
      'ws/config/provisioning.yaml',
      [
        'workspace: {name: demo}',
        'oci:',
        '  verify_signatures: false',
        '  trusted_keys: [keys/global.pem]',
        '  trust:',
        '    - {scope: "registry.example.com:5000", verify_signatures: true}',
        '    - {scope: "oci://Registry.Example.com:5000/team/", trusted_keys: [keys/team.pem]}',
        '    - {scope: "registry.example.com:5000/team/legacy", verify_signatures: false}',
        '',
      ].join('\n'),
    )
    const settings = trustSettingsFrom(await sb.load())
    expect(verifiesAnywhere(settings)).toBe(true)
    const configDir = path.join(sb.ws, 'config')

    expect(policyFor(settings, remote, 'other/redis')).toEqual({
      verify: true,
      keyFiles: [path.join(configDir, 'keys', 'global.pem')],
      keysSetting: 'oci.trusted_keys',
      scope: 'registry.example.com:5000',
    })
    expect(policyFor(settings, remote, 'team/redis')).toEqual({
      verify: true,
      keyFiles: [path.join(configDir, 'keys', 'team.pem')],
      keysSetting: 'the trusted_keys of the oci.trust entry for registry.example.com:5000/team',
      scope: 'registry.example.com:5000/team',
    })
    expect(policyFor(settings, remote, 'team/legacy')).toMatchObject({verify: false, scope: 'registry.example.com:5000/team/legacy'})
    // A scope matches whole path segments only: "team" is not a prefix of "teammates".
    expect(policyFor(settings, remote, 'teammates/redis').scope).toBe('registry.example.com:5000')
    expect(policyFor(settings, parseLocation('elsewhere.io'), 'team/redis')).toEqual(settings.global)
  })

  it('scope a layout by its folder', async () => {
    await sb.write('home/config.user.toml', `[[oci.trust]]\nscope = "oci-layout://${sb.root}/store"\nverify_signatures = true\n`)
    const settings = trustSettingsFrom(await sb.load())
    expect(policyFor(settings, parseLocation(`oci-layout://${sb.root}/store`), 'ns/redis')).toMatchObject({verify: true})
    expect(policyFor(settings, parseLocation(`oci-layout://${sb.root}/store2`), 'ns/redis')).toMatchObject({verify: false})
  })

  it.each([
    ['a table where a list belongs', 'oci:\n  trust:\n    r: {verify_signatures: true}\n', /oci.trust must be a list of tables/],
    ['an entry that is not a table', 'oci:\n  trust: [true]\n', /oci.trust must be a list of tables/],
    ['an entry without a scope', 'oci:\n  trust: [{verify_signatures: true}]\n', /oci.trust\[0\].scope must name/],
    ['a misspelt field', 'oci:\n  trust: [{scope: r.io, verify_signature: true}]\n', /unknown field\(s\) verify_signature/],
    ['a non-boolean switch', 'oci:\n  trust: [{scope: r.io, verify_signatures: "yes"}]\n', /verify_signatures must be a boolean/],
    ['keys that are not a list of paths', 'oci:\n  trust: [{scope: r.io, trusted_keys: k.pem}]\n', /trusted_keys must be a list of public key files/],
    ['a scope that is no host', 'oci:\n  trust: [{scope: "user:pw@r.io/x", verify_signatures: true}]\n', /is not a scope/],
    ['a scope listed twice', 'oci:\n  trust: [{scope: r.io/a}, {scope: "R.io/a/"}]\n', /r.io\/a is listed twice/],
    ['global keys that are not a list', 'oci:\n  trusted_keys: [""]\n', /oci.trusted_keys must be a list/],
  ])('refuse %s (exit 3, naming the file)', async (_what, yaml, message) => {
    const file = await sb.write('ws/config/provisioning.yaml', `workspace: {name: demo}\n${yaml}`)
    // The shape of the list is checked when the config loads (schema), its entries where the policy is read.
    const error = await expectProvisioningError(async () => trustSettingsFrom(await sb.load()))
    expect(error.exit).toBe(ExitCode.CONFIG)
    expect(error.message).toMatch(message)
    expect(error.message).toContain(file)
  })
})
