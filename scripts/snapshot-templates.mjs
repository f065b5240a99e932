// Build step (scripts/build.sh): parses the built-in config templates once, with the
// freshly compiled parser of DIST, into DIST/templates.snapshot.json (read by
// src/lib/config/template-snapshot.ts), so that CLI runs need no YAML/TOML parser for them.
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

const [dist, templates] = process.argv.slice(2).map((p) => path.resolve(p))
const {parseConfigText, prepareLineLookups} = await import(pathToFileURL(path.join(dist, 'lib', 'config', 'source-file.js')).href)
const {isJsonExact} = await import(pathToFileURL(path.join(dist, 'lib', 'util', 'json-exact.js')).href)
await prepareLineLookups()

/** Every key path of the data (`a.b`, list items `a.list[0]`), as `lineOf` takes them. */
function* keyPaths(value, prefix = '') {
  if (value === null || typeof value !== 'object' || value instanceof Date) return
  for (const [key, child] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const own = Array.isArray(value) ? `${prefix}[${key}]` : prefix === '' ? key : `${prefix}.${key}`
    yield own
    yield* keyPaths(child, own)
  }
}

const relatives = ['config.defaults.toml', ...readdirSync(path.join(templates, 'modes')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `modes/${f}`)]
const files = {}
for (const relative of relatives) {
  const file = path.join(templates, relative)
  const text = readFileSync(file, 'utf8')
  const source = await parseConfigText(text, file)
  const lines = {}
  for (const keyPath of keyPaths(source.data)) {
    const line = source.lineOf(keyPath)
    if (line !== undefined) lines[keyPath] = line
  }
  // Dates, NaN or ±Infinity would not survive JSON: the templates hold none, and must keep it that way.
  if (!isJsonExact(source.data)) {
    throw new Error(`${relative}: a value JSON cannot carry exactly (a date, NaN, ±Infinity, -0); the snapshot would change it`)
  }
  files[relative] = {text, data: source.data, lines}
}
writeFileSync(path.join(dist, 'templates.snapshot.json'), JSON.stringify({files}))
