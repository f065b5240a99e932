import type {FastPath} from './fast-path.js'

/**
 * Runs a fast path (fast-path.ts) the way its oclif command would: the same library call,
 * the same rendering, errors and audit line. Returns false when the run must go to oclif
 * after all (decided before anything is printed). Each path is its own module, loaded on
 * use: `--version` must not pay for loading config, nor `config get` for the resolver.
 */
export async function runFastPath(fast: FastPath, root: string): Promise<boolean> {
  switch (fast.command) {
    case 'version':
      return (await import('./fast/version.js')).printVersion(root)
    case 'config get':
      await (await import('./fast/config-get.js')).configGet(fast)
      return true
    case 'dep resolve':
      await (await import('./fast/dep-resolve.js')).depResolve(fast)
      return true
  }
}
