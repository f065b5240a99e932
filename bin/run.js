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
  // What scripts run most (--version, config get, dep resolve) is answered without oclif too.
  const {fastPathFor} = await import('../dist/cli/fast-path.js')
  const fast = fastPathFor(argv, process.env, {stdoutIsTTY: Boolean(process.stdout.isTTY), stderrIsTTY: Boolean(process.stderr.isTTY)})
  let done = false
  if (fast) {
    // One bundle (scripts/bundle-fast-path.mjs): a few files to load instead of a hundred.
    const {runFastPath} = await import('../dist/fast/fast-commands.js')
    done = await runFastPath(fast, root)
  }
  if (!done) {
    const {execute} = await import('@oclif/core')
    await execute({dir: import.meta.url})
  }
}
