#!/usr/bin/env node
import module from 'node:module'
import {fileURLToPath} from 'node:url'

// Node >= 22.1 keeps compiled code between runs; every start after the first skips most parsing.
// Its own folder under the user's cache (not the shared default in /tmp, which another local
// user could fill); NODE_DISABLE_COMPILE_CACHE=1 turns it off as usual.
if (typeof module.enableCompileCache === 'function') {
  const {compileCacheDir} = await import('../dist/cli/compile-cache.js')
  module.enableCompileCache(compileCacheDir(process.env))
}

const argv = process.argv.slice(2)
const root = fileURLToPath(new URL('..', import.meta.url))

// Shell completion asks for candidates on every <Tab>: that path loads no oclif at all.
if (argv[0] === '__complete') {
  const {runCompletion} = await import('../dist/cli/complete.js')
  await runCompletion(argv.slice(1))
} else {
  // What scripts run most (--version, config get, dep resolve, oci push) is answered without oclif too.
  const {fastPathFor, FAST_PATH_BUNDLES, runsBundles} = await import('../dist/cli/fast-path.js')
  // Not process.stdout.isTTY: making the stream loads node:net for a pipe (~4 ms), and so does
  // node:tty. So it is asked only when the answer matters, and a pipe or a file (what scripts
  // give) is told by fstat alone; only a character device (a terminal, /dev/null) asks node:tty.
  const require = module.createRequire(import.meta.url)
  const isatty = (fd) => {
    try {
      if (!require('node:fs').fstatSync(fd).isCharacterDevice()) return false
    } catch {
      return false
    }
    return require('node:tty').isatty(fd)
  }
  const fast = fastPathFor(argv, process.env, {stdoutIsTTY: () => isatty(1), stderrIsTTY: () => isatty(2)})
  let done = false
  if (fast && runsBundles(process.version, process.features.require_module)) {
    const [{loadBundle}, {compileCacheDir}] = await Promise.all([import('../dist/cli/bundle-loader.js'), import('../dist/cli/compile-cache.js')])
    const file = fileURLToPath(new URL(`../dist/fast/${FAST_PATH_BUNDLES[fast.command]}.cjs`, import.meta.url))
    const bundle = loadBundle(file, process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : compileCacheDir(process.env))
    done = await bundle.exports.run(fast, root)
    bundle.saveCodeCache()
  }
  if (!done) {
    const {execute} = await import('@oclif/core')
    await execute({dir: import.meta.url})
  }
}
