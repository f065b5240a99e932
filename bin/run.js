#!/usr/bin/env node
// Shell completion asks for candidates on every <Tab>: that path loads no oclif at all.
if (process.argv[2] === '__complete') {
  const {runCompletion} = await import('../dist/cli/complete.js')
  await runCompletion(process.argv.slice(3))
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
