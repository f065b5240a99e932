import {UsageError} from '../lib/errors.js'
import {ask, canPrompt, readStdin} from './prompt.js'

/** Where the signing key passphrase may come from; never argv (it would show in `ps` and shell history). */
export const PASSPHRASE_ENV = 'PROVISIONING_SIGNING_PASSWORD'

const HINT = `pipe it in with --password-stdin or set ${PASSPHRASE_ENV}`

/**
 * The passphrase, from --password-stdin, else PROVISIONING_SIGNING_PASSWORD, else a hidden
 * TTY prompt (twice when `confirm`, for a new key). Without any of them: exit 2 with the hint.
 */
export async function signingPassphrase(options: {stdin: boolean; confirm?: boolean}): Promise<string> {
  if (options.stdin) return readStdin()
  const fromEnv = process.env[PASSPHRASE_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  if (!canPrompt()) throw new UsageError('no passphrase for the signing key', {hint: HINT})
  const passphrase = await ask('Passphrase: ', HINT, true)
  if (options.confirm && (await ask('Passphrase again: ', HINT, true)) !== passphrase) {
    throw new UsageError('the two passphrases differ', {hint: 'run the command again and type the same passphrase twice'})
  }
  return passphrase
}
