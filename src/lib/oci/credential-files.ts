import {access, readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {homePaths} from '../util/home.js'

/** Where credentials for a registry could come from, in lookup order (SPEC §8.3). */
export type CredentialSource = 'auth.json' | 'docker-config' | 'docker-cred-helper' | 'registry-auth-file' | 'token-file'

interface DockerConfig {
  auths?: Record<string, unknown>
  credHelpers?: Record<string, string>
  credsStore?: string
}

/** `https://host:5000/v1/` and `host:5000` name the same registry. */
export function registryKey(value: string): string {
  return value.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '').toLowerCase()
}

async function readDockerConfig(file: string): Promise<DockerConfig | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DockerConfig
  } catch {
    return undefined
  }
}

function hasAuthEntry(config: DockerConfig | undefined, host: string): boolean {
  return Object.keys(config?.auths ?? {}).some((key) => registryKey(key) === host)
}

/**
 * Names the first place that holds credentials for `registry`, without reading the
 * secret itself; `undefined` when there are none.
 */
export async function findCredentialSource(registry: string, options: {home: string; env: NodeJS.ProcessEnv; tokenPath?: string}): Promise<CredentialSource | undefined> {
  const host = registryKey(registry)
  if (hasAuthEntry(await readDockerConfig(homePaths.authFile(options.home)), host)) return 'auth.json'
  const dockerDir = options.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker')
  const docker = await readDockerConfig(path.join(dockerDir, 'config.json'))
  if (hasAuthEntry(docker, host)) return 'docker-config'
  if (Object.keys(docker?.credHelpers ?? {}).some((key) => registryKey(key) === host)) return 'docker-cred-helper'
  if (options.env.REGISTRY_AUTH_FILE && hasAuthEntry(await readDockerConfig(options.env.REGISTRY_AUTH_FILE), host)) return 'registry-auth-file'
  if (options.tokenPath) {
    const ok = await access(options.tokenPath).then(() => true, () => false)
    if (ok) return 'token-file'
  }
  return undefined
}
