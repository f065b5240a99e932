import os from 'node:os'
import path from 'node:path'

/** The per-user folder of SPEC §4: PROVISIONING_HOME, else ~/.provisioning. */
export function provisioningHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PROVISIONING_HOME
  return fromEnv ? path.resolve(expandHome(fromEnv)) : path.join(os.homedir(), '.provisioning')
}

/** Expands a leading `~/` (or a lone `~`) to the home folder. */
export function expandHome(value: string): string {
  if (value === '~') return os.homedir()
  if (value.startsWith('~/')) return path.join(os.homedir(), value.slice(2))
  return value
}

export const homePaths = {
  userConfig: (home: string) => path.join(home, 'config.user.toml'),
  activeMode: (home: string) => path.join(home, 'config', 'active-mode.yaml'),
  knownWorkspaces: (home: string) => path.join(home, 'config', 'user_config.yaml'),
  authFile: (home: string) => path.join(home, 'auth.json'),
  /** Parsed YAML by content (config/parse-cache.ts). */
  parseCache: (home: string) => path.join(home, 'cache', 'parsed'),
  /**
   * The secret that signs parse-cache entries and markers: outside `cache/`, so a cache
   * restored from elsewhere (a CI cache another job wrote) is not believed.
   */
  cacheKey: (home: string) => path.join(home, 'cache.key'),
}
