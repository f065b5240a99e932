import {describe, expect, it} from 'vitest'

import {fastPathFor, runsBundles} from '../../../src/cli/fast-path.js'

const pipes = {stdoutIsTTY: () => false, stderrIsTTY: () => false}
const terminal = {stdoutIsTTY: () => true, stderrIsTTY: () => true}

describe('fastPathFor: which runs skip oclif', () => {
  it('takes the plain shapes scripts use', () => {
    expect(fastPathFor(['--version'], {}, pipes)).toEqual({command: 'version'})
    expect(fastPathFor(['config', 'get', 'oci.registry'], {}, pipes)).toEqual({command: 'config get', key: 'oci.registry', json: false})
    expect(fastPathFor(['config', 'get', 'oci.registry', '--json'], {}, pipes)).toEqual({command: 'config get', key: 'oci.registry', json: true})
    expect(fastPathFor(['dep', 'resolve', '--frozen', '--json'], {}, pipes)).toEqual({
      command: 'dep resolve',
      json: true,
      quiet: false,
      frozen: true,
      offline: false,
    })
    expect(fastPathFor(['dep', 'resolve', '-q', '--offline'], {}, pipes)).toEqual({
      command: 'dep resolve',
      json: false,
      quiet: true,
      frozen: false,
      offline: true,
    })
    expect(fastPathFor(['oci', 'push', './redis'], {}, pipes)).toEqual({
      command: 'oci push',
      positionals: ['./redis'],
      json: false,
      quiet: false,
      dryRun: false,
      force: false,
    })
    expect(fastPathFor(['oci', 'push', './a', '--json', './b', '-q', '--dry-run', '--force'], {}, pipes)).toEqual({
      command: 'oci push',
      positionals: ['./a', './b'],
      json: true,
      quiet: true,
      dryRun: true,
      force: true,
    })
    expect(fastPathFor(['oci', 'push', './redis', 'redis', '7.2.0'], {}, pipes)).toMatchObject({positionals: ['./redis', 'redis', '7.2.0']})
  })

  it('sends everything else to oclif', () => {
    for (const argv of [
      [],
      ['--version', '--json'],
      ['version'],
      ['-v'],
      ['config', 'get'],
      ['config', 'get', '--json'],
      ['config', 'get', '-w', 'x'],
      ['config', 'get', 'a=b'],
      ['config', 'get', 'oci', '--json', '--json'],
      ['config', 'get', 'oci', '--', '--json'],
      ['config', 'get', 'oci', 'extra'],
      ['config', 'show'],
      ['dep', 'resolve', '--dry-run'],
      ['dep', 'resolve', '--force'],
      ['dep', 'resolve', '--quiet', '-q'],
      ['dep', 'resolve', '--workspace', 'x'],
      ['dep', 'resolve', '--concurrency=2'],
      ['dep', 'update'],
      ['oci', 'push'],
      ['oci', 'push', '--json'],
      ['oci', 'push', './redis', '--sign'],
      ['oci', 'push', './redis', '--key', 'k.key'],
      ['oci', 'push', './redis', '--registry', 'localhost:5000'],
      ['oci', 'push', './redis', '--concurrency', '2'],
      ['oci', 'push', './redis', '--verbose'],
      ['oci', 'push', './redis', '--', '-dashed'],
      ['oci', 'push', './redis', '--json', '--json'],
      ['oci', 'push', './a', './b', './a'],
      ['oci', 'pull', 'redis'],
    ])
      expect(fastPathFor(argv, {}, pipes), argv.join(' ')).toBeUndefined()
  })

  it('leaves terminals to oclif where it draws (coloured JSON, progress), and obeys the switches', () => {
    expect(fastPathFor(['config', 'get', 'oci', '--json'], {}, terminal)).toBeUndefined()
    expect(fastPathFor(['config', 'get', 'oci', '--json'], {NO_COLOR: '1'}, terminal)).toMatchObject({command: 'config get'})
    expect(fastPathFor(['config', 'get', 'oci'], {}, terminal)).toMatchObject({command: 'config get'})
    expect(fastPathFor(['dep', 'resolve'], {}, terminal)).toBeUndefined()
    expect(fastPathFor(['dep', 'resolve'], {CI: 'true'}, terminal)).toMatchObject({command: 'dep resolve'})
    expect(fastPathFor(['dep', 'resolve', '-q'], {}, terminal)).toMatchObject({command: 'dep resolve'})
    expect(fastPathFor(['dep', 'resolve', '--json'], {NO_COLOR: '1'}, terminal)).toMatchObject({command: 'dep resolve'})
    expect(fastPathFor(['oci', 'push', './redis'], {}, terminal)).toBeUndefined()
    expect(fastPathFor(['oci', 'push', './redis'], {CI: '1'}, terminal)).toMatchObject({command: 'oci push'})
    expect(fastPathFor(['oci', 'push', './redis', '--json'], {}, terminal)).toBeUndefined()
    for (const env of [{PROVISIONING_NO_FAST_PATH: '1'}, {DEBUG: '*'}, {PROVISIONING_DEBUG: '1'}])
      expect(fastPathFor(['--version'], env, pipes)).toBeUndefined()
  })

  it('runs the bundles only where require(esm) is on and prints no warning (Node 20.19, 22.13, 23.5 and later)', () => {
    for (const version of ['v20.19.0', 'v20.20.2', 'v22.13.0', 'v23.5.0', 'v24.0.0', 'v25.1.0']) expect(runsBundles(version, true), version).toBe(true)
    for (const version of ['v20.18.3', 'v22.12.0', 'v23.4.0']) expect(runsBundles(version, true), version).toBe(false)
    expect(runsBundles('v24.1.0', false)).toBe(false)
    expect(runsBundles('v24.1.0', undefined)).toBe(false)
  })
})
