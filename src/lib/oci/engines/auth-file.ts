import {readFile} from 'node:fs/promises'

import {AuthError} from '../../errors.js'
import {writeFileAtomic} from '../../util/atomic-write.js'
import {registryKey} from '../credentials.js'

/** auth.json in Docker config format: credentials under `auths`, anything else kept as is. */
interface AuthFileContent {
  auths?: Record<string, {auth?: string; [key: string]: unknown}>
  [key: string]: unknown
}

async function readAuthFile(file: string): Promise<AuthFileContent> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as AuthFileContent
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new AuthError(`${file} is not valid JSON`, {hint: `repair or remove ${file}, then log in again`, details: {file}})
  }
}

/** Every entry but the host's (however its key is spelled). */
function otherHosts(content: AuthFileContent, host: string): NonNullable<AuthFileContent['auths']> {
  return Object.fromEntries(Object.entries(content.auths ?? {}).filter(([key]) => registryKey(key) !== host))
}

const writeAuthFile = (file: string, content: AuthFileContent) => writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`, {mode: 0o600})

/** Stores the host's credentials (mode 0600), replacing any entry it had. */
export async function saveCredentials(file: string, host: string, username: string, password: string): Promise<void> {
  const content = await readAuthFile(file)
  const auths = otherHosts(content, host)
  auths[host] = {auth: Buffer.from(`${username}:${password}`).toString('base64')}
  await writeAuthFile(file, {...content, auths})
}

/** Removes the host's entry; the file is only rewritten when there was one. */
export async function removeCredentials(file: string, host: string): Promise<{removed: boolean}> {
  const content = await readAuthFile(file)
  const auths = otherHosts(content, host)
  const removed = Object.keys(auths).length < Object.keys(content.auths ?? {}).length
  if (removed) await writeAuthFile(file, {...content, auths})
  return {removed}
}
