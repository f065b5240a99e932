import os from 'node:os'
import path from 'node:path'

/**
 * Where Node keeps this CLI's compiled code between runs (bin/run.js): the user's own cache
 * folder, as XDG says, so no other local user can plant code there, and outside
 * PROVISIONING_HOME, so every workspace and test home shares one warm cache.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache')
  return path.join(base, 'provisioning', 'node-compile')
}
