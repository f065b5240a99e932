import path from 'node:path'

import {repoRoot} from './cli.js'

/** The preload that maps test host names to addresses in the CLI subprocess (test/fixtures/test-hosts.mjs). */
export const testHostsModule = path.join(repoRoot, 'test', 'fixtures', 'test-hosts.mjs')

/**
 * Environment for runCli() under which the CLI reaches each name in `names` (e.g.
 * `registry.test`) at 127.0.0.1, where the test servers listen. The names are not
 * loopback names to the transport policy, so such a server stands for a remote host
 * without binding any interface but loopback. Any NODE_OPTIONS of the test run is kept.
 */
export function testHostsEnv(names: string[]): {NODE_OPTIONS: string; PROV_TEST_HOSTS: string} {
  const preload = `--import=${JSON.stringify(testHostsModule)}`
  return {
    NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' '),
    PROV_TEST_HOSTS: names.map((name) => `${name}=127.0.0.1`).join(','),
  }
}
