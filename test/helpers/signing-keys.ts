import {expect} from 'vitest'

import {type CliResult, json} from './cli.js'

/** What `oci key generate --json` reports. */
export interface KeyDoc {
  privateKeyFile: string
  publicKeyFile: string
  fingerprint: string
}

/** Key pairs `names` made with `oci key generate --output keys --name NAME` under the passphrase. */
export async function generateKeys(
  cli: (args: string[], extra: {env?: Record<string, string>}) => Promise<CliResult>,
  names: string[],
  passphrase: string,
): Promise<KeyDoc[]> {
  const made: KeyDoc[] = []
  for (const name of names) {
    const result = await cli(['oci', 'key', 'generate', '--output', 'keys', '--name', name, '--json'], {env: {PROVISIONING_SIGNING_PASSWORD: passphrase}})
    expect(result.exitCode, result.stderr).toBe(0)
    made.push(json<KeyDoc>(result))
  }
  return made
}
