// A projection, not a CLI path: many `oci push` / `oci pull` operations in ONE node process,
// calling the project's compiled operations (dist/lib/oci/ops/*.js) one after the other,
// exactly as the commands do minus oclif (each operation still loads the config and opens
// its own connections). It shows what a multi-artifact command (`oci push DIR...`,
// `oci pull REF...`) could cost, against one CLI process per artifact.
//
//   node oci-batch.mjs APP PARALLEL push DIR...                 (registry etc. from PROVISIONING_* env)
//   node oci-batch.mjs APP PARALLEL pull REF OUTDIR [REF OUTDIR]...
// APP: the CLI's root folder (holding dist/); PARALLEL: operations in flight at a time.
// Prints one JSON line per artifact (the operation's result).
import path from 'node:path'
import {pathToFileURL} from 'node:url'

const [app, parallelArg, mode, ...rest] = process.argv.slice(2)
const parallel = Number(parallelArg)
const op = (name) => import(pathToFileURL(path.join(app, 'dist', 'lib', 'oci', 'ops', `${name}.js`)).href)

async function pool(tasks) {
  let next = 0
  const worker = async () => {
    while (next < tasks.length) console.log(JSON.stringify(await tasks[next++]()))
  }
  await Promise.all(Array.from({length: Math.min(parallel, tasks.length)}, worker))
}

if (!(parallel >= 1)) {
  console.error('usage: oci-batch.mjs APP PARALLEL push DIR... | APP PARALLEL pull REF OUTDIR [REF OUTDIR]...')
  process.exit(2)
} else if (mode === 'push') {
  const {pushExtension} = await op('push')
  await pool(rest.map((dir) => () => pushExtension({dir})))
} else if (mode === 'pull' && rest.length % 2 === 0) {
  const {pullExtension} = await op('pull')
  const pairs = rest.flatMap((ref, i) => (i % 2 === 0 ? [[ref, rest[i + 1]]] : []))
  await pool(pairs.map(([reference, output]) => () => pullExtension({reference, output})))
} else {
  console.error('usage: oci-batch.mjs APP PARALLEL push DIR... | APP PARALLEL pull REF OUTDIR [REF OUTDIR]...')
  process.exit(2)
}
