import path from 'node:path'

import {type GeneratedKeyPair, generateKeyPair} from '../../signing/keys.js'

export type KeyGenerateResult = GeneratedKeyPair

/** The key pair's files are `<name>.key` and `<name>.pub`, as cosign names its own `cosign.key`/`cosign.pub`. */
export const DEFAULT_KEY_NAME = 'provisioning'

/**
 * `oci key generate`: an ECDSA P-256 key pair in `output` (default: the working folder),
 * the private key encrypted with `passphrase`. The passphrase never leaves this call.
 */
export async function generateSigningKey(options: {output?: string; name?: string; passphrase: string; force?: boolean}): Promise<KeyGenerateResult> {
  return generateKeyPair(path.resolve(options.output ?? '.'), options.name ?? DEFAULT_KEY_NAME, options.passphrase, options.force)
}
