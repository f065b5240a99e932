// Fixtures of the `dep resolve` benchmark (bench/lib/resolve.mjs): N small extensions made
// with `provisioning generate extension`, several versions each whose manifests form a
// satisfiable dependency graph (resolve-graph.mjs), published with one batch `oci push`, and
// a workspace made with `workspace init` that declares ~20 of them as roots (SPEC §9.1).
import {cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {generateExtensions} from './oci-fixtures.mjs'
import {runProcess} from './pool.mjs'
import {generateGraph} from './resolve-graph.mjs'

/** Rewrites `key: value` lines of a generated manifest.yaml (flow-style YAML via JSON). */
function editManifest(file, fields) {
  let text = readFileSync(file, 'utf8')
  for (const [key, value] of Object.entries(fields)) {
    const line = `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`
    const re = new RegExp(`^${key}:.*$`, 'm')
    if (!re.test(text)) throw new Error(`${file}: no "${key}:" line to rewrite`)
    text = text.replace(re, line)
  }
  writeFileSync(file, text)
}

/**
 * The graph of the workspace: `count` extensions d1..dN, 2–4 versions each, 2–4 hard
 * dependencies on lower-numbered ones (plus d(i-20), so the roots reach all of them),
 * optional dependencies, a few conflicts, a few versions needing a newer core, and traps
 * (a newest version that must be backtracked). Roots: `roots` of the top 30 %.
 */
export function workspaceGraph({count, roots, seed}) {
  return generateGraph({
    size: count,
    seed,
    versions: [2, 4],
    deps: [2, 4],
    roots: [roots, roots],
    rootPool: 0.3,
    stride: Math.max(1, Math.round(count * 0.2)),
    leaves: 5,
    prefix: 'd',
    pad: 0,
    first: 1,
    aimAtWitness: 1,
    optionalAim: 1,
    conflictAim: 1,
    optionalRate: 0.2,
    conflictRate: 0.03,
    traps: 0.1,
  })
}

/**
 * Generates one folder per extension with the CLI, then one copy per version with its
 * manifest edited. Returns the version folders (for one batch push) and the graph.
 */
export async function makeExtensions(cli, graph, dir) {
  const bases = await generateExtensions(cli, graph.names, path.join(dir, 'generated'))
  const folders = []
  graph.names.forEach((name, i) => {
    for (const c of graph.byName.get(name)) {
      const to = path.join(dir, 'versions', c.version, name)
      mkdirSync(path.dirname(to), {recursive: true})
      cpSync(bases[i], to, {recursive: true})
      editManifest(path.join(to, 'manifest.yaml'), {
        version: c.version,
        dependencies: c.dependencies,
        optional: c.optional,
        conflicts: c.conflicts,
        min_provisioning_version: c.minProvisioningVersion ?? '0.1.0',
      })
      folders.push(to)
    }
  })
  return folders
}

/** A root as a module entry: `name:version` for an exact pin, else `{name, version}`. */
const moduleEntry = (root) => {
  if (/^\d+\.\d+\.\d+$/.test(root.range)) return `        - "${root.name}:${root.range}"`
  return root.range === '*' ? `        - {name: ${root.name}}` : `        - {name: ${root.name}, version: ${JSON.stringify(root.range)}}`
}

/** The `dependencies:` block: the source's lines, then the roots as taskservs. */
const dependenciesBlock = (sourceLines, entries) =>
  ['dependencies:', '  extensions:', ...sourceLines, '    modules:', '      providers: []', '      taskservs:', ...entries, '      clusters: []', ''].join('\n')

/**
 * The `dependencies:` block of the workspace config: the roots in the three forms of SPEC
 * §9.1 (range maps, `name:tag` and a full `oci://` reference for exact pins).
 */
export function dependenciesYaml(graph, {registry, namespace}) {
  const entries = graph.roots.map((root, k) =>
    /^\d+\.\d+\.\d+$/.test(root.range) && k % 2 === 0 ? `        - "oci://${registry}/${namespace}/${root.name}:${root.range}"` : moduleEntry(root))
  return dependenciesBlock(['    source_type: oci', `    oci: {registry: "${registry}", namespace: "${namespace}", tls_enabled: false}`], entries)
}

/** `workspace init` then the declaration written into config/provisioning.yaml. */
export async function makeWorkspace(cli, dir, yaml) {
  await runProcess(cli(['workspace', 'init', `bench-${path.basename(dir)}`, '--path', dir], {expect: /created workspace/}))
  const file = path.join(dir, 'config', 'provisioning.yaml')
  const text = readFileSync(file, 'utf8')
  const at = text.search(/^dependencies:/m)
  if (at < 0) throw new Error(`${file}: no "dependencies:" block to replace`)
  writeFileSync(file, `${text.slice(0, at)}${yaml}`)
  return dir
}

/**
 * The catalog of the `dep validate` case (issue 11, row 5): `names` extensions e0000…,
 * `versions` each (2,000 × 5 = 10,000 versions by default), 1–3 hard dependencies per version
 * on lower-numbered names with the ranges of resolve-graph.mjs (200 leaves with none),
 * optional dependencies and conflicts, no version needing a newer core; 20 roots among the top
 * 10 %. About 1,570 names are reachable from the roots, ~390 resolve (seed 1).
 */
export function localCatalogGraph({names, versions, roots, seed}) {
  return generateGraph({
    size: names,
    seed,
    versions: [versions, versions],
    deps: [1, 3],
    leaves: Math.round(names * 0.1),
    roots: [roots, roots],
    rootPool: 0.1,
    prefix: 'e',
    pad: 4,
    optionalRate: 0.2,
    conflictRate: 0.03,
    traps: 0,
  })
}

/**
 * Writes the graph as a local extension source (SPEC §9.1 source_type local):
 * `root/taskservs/{name}/{version}/` with the files `provisioning generate extension` makes
 * (read once from `templateDir`, generated as `templateName`, the name replaced in paths and
 * contents) and the manifest's version and relations set. Returns the number of folders.
 */
export function writeLocalCatalog(graph, root, templateDir, templateName) {
  const files = []
  const walk = (rel) => {
    for (const e of readdirSync(path.join(templateDir, rel), {withFileTypes: true})) {
      const r = path.join(rel, e.name)
      if (e.isDirectory()) walk(r)
      else files.push({rel: r, text: readFileSync(path.join(templateDir, r), 'utf8')})
    }
  }
  walk('')
  if (!files.some((f) => f.rel === 'manifest.yaml')) throw new Error(`${templateDir}: no manifest.yaml`)
  let count = 0
  for (const name of graph.names) {
    const sub = (s) => s.split(templateName).join(name)
    for (const c of graph.byName.get(name)) {
      const dir = path.join(root, 'taskservs', name, c.version)
      for (const f of files) {
        const to = path.join(dir, sub(f.rel))
        mkdirSync(path.dirname(to), {recursive: true})
        writeFileSync(to, sub(f.text))
      }
      editManifest(path.join(dir, 'manifest.yaml'), {
        version: c.version,
        dependencies: c.dependencies,
        optional: c.optional,
        conflicts: c.conflicts,
        min_provisioning_version: c.minProvisioningVersion ?? '0.1.0',
      })
      count++
    }
  }
  return count
}

/** The `dependencies:` block declaring the roots from a local source folder (`{name, version}` and `name:version` forms). */
export function localDependenciesYaml(graph, sourceDir) {
  return dependenciesBlock(['    source_type: local', `    local: {path: ${JSON.stringify(sourceDir)}}`], graph.roots.map(moduleEntry))
}
