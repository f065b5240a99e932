import type {Document, Node, Pair, YAMLMap} from 'yaml'

import {ConfigError} from '../errors.js'
import {YAML_MAX_ALIAS_COUNT} from '../util/yaml-limits.js'
import {asTable, type DeclarationEdit, declarationTable, type RepositoryDeclaration} from './declaration.js'
import {canonical} from './toml-edit.js'

type Yaml = typeof import('yaml')
type Range = [number, number, number]

/**
 * `repositories.<name>` in a workspace YAML. The edit is spliced into the text, so every
 * line outside that one entry stays byte-identical; the entry itself goes through the yaml
 * Document API (an existing one is parsed on its own and changed field by field, so its
 * comments stay). A layout the splice does not handle (flow maps, anchors) is edited
 * through the Document API of the whole file. Either way the result must read back as the
 * file's data with exactly this declaration changed, or nothing is written.
 */
export async function editYamlRepository(
  text: string,
  file: string,
  name: string,
  edit: DeclarationEdit,
): Promise<{text: string; before?: Record<string, unknown>}> {
  const yaml = await import('yaml')
  const doc = yaml.parseDocument(text)
  const broken = (why: string) => new ConfigError(`${file}: ${why}`, {hint: 'fix the YAML first ("provisioning config validate")', details: {file}})
  if (doc.errors.length > 0) throw broken(doc.errors[0].message)
  const data = (doc.toJS({maxAliasCount: YAML_MAX_ALIAS_COUNT}) ?? {}) as Record<string, unknown>
  if (asTable(data) === undefined) throw broken('the document is not a mapping')
  if (data.repositories !== undefined && data.repositories !== null && asTable(data.repositories) === undefined) throw broken('repositories is not a mapping')
  const before = asTable(asTable(data.repositories)?.[name])
  const after = edit(before)
  const repositories = {...asTable(data.repositories)}
  if (after) repositories[name] = declarationTable(after)
  else delete repositories[name]
  const expected = JSON.stringify(canonical({...data, repositories}))
  const readsBack = (candidate: string | undefined) => {
    if (candidate === undefined) return false
    const reread = yaml.parseDocument(candidate)
    return reread.errors.length === 0 && JSON.stringify(canonical(reread.toJS({maxAliasCount: YAML_MAX_ALIAS_COUNT}))) === expected
  }
  const spliced = spliceEntry(text, doc, name, before, after, yaml)
  if (readsBack(spliced)) return {text: spliced as string, before}
  const whole = wholeDocument(doc, name, before, after, yaml)
  if (readsBack(whole)) return {text: whole, before}
  throw new ConfigError(`${file}: repositories.${name} could not be edited so that the file reads back as intended`, {
    hint: `edit repositories.${name} in ${file} by hand`,
    details: {file, key: `repositories.${name}`},
  })
}

/** Sets the declaration at `key` of `doc`: an existing map field by field (comments on untouched fields stay). */
function setDeclaration(doc: Document, key: string[], before: Record<string, unknown> | undefined, after: RepositoryDeclaration, yaml: Yaml): void {
  const table = declarationTable(after)
  if (before === undefined || !yaml.isMap(doc.getIn(key, true))) {
    doc.setIn(key, doc.createNode(table))
    return
  }
  for (const field of ['url', 'description', 'mode', 'priority'] as const) {
    if (table[field] === undefined) doc.deleteIn([...key, field])
    else if (before[field] !== table[field]) doc.setIn([...key, field], table[field])
  }
  const labels = after.labels
  const old = asTable(before.labels) ?? {}
  if (Object.keys(labels).length === 0 || !yaml.isMap(doc.getIn([...key, 'labels'], true))) {
    doc.deleteIn([...key, 'labels'])
    if (Object.keys(labels).length > 0) doc.setIn([...key, 'labels'], doc.createNode(labels))
    return
  }
  for (const label of Object.keys(old)) if (!(label in labels)) doc.deleteIn([...key, 'labels', label])
  for (const [label, value] of Object.entries(labels)) if (old[label] !== value) doc.setIn([...key, 'labels', label], value)
}

function wholeDocument(doc: Document, name: string, before: Record<string, unknown> | undefined, after: RepositoryDeclaration | undefined, yaml: Yaml): string {
  const copy = doc.clone()
  if (after === undefined) {
    copy.deleteIn(['repositories', name])
    const repositories = copy.get('repositories', true)
    if (yaml.isMap(repositories) && repositories.items.length === 0) copy.delete('repositories')
  } else {
    if (!yaml.isMap(copy.get('repositories', true))) copy.set('repositories', copy.createNode({}))
    setDeclaration(copy, ['repositories', name], before, after, yaml)
  }
  return copy.toString()
}

const rangeOf = (node: unknown): Range | undefined => (node as Node | undefined)?.range ?? undefined
const startOfLine = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1
/** One past the newline ending the line that holds the node's last character (a block collection owns its final newline). */
function endOfNode(text: string, range: Range): number {
  const last = range[1] > range[0] && text[range[1] - 1] === '\n' ? range[1] - 1 : range[1]
  const newline = text.indexOf('\n', last)
  return newline < 0 ? text.length : newline + 1
}
const pairNamed = (map: YAMLMap, key: string, yaml: Yaml) =>
  map.items.find((p) => yaml.isScalar(p.key) && p.key.value === key) as Pair<Node, Node | null> | undefined

/** The pair's lines: from its key's line to the end of its value (undefined for a flow or odd layout). */
function pairLines(text: string, pair: Pair<Node, Node | null>): {start: number; end: number; indent: string} | undefined {
  const key = rangeOf(pair.key)
  const value = rangeOf(pair.value) ?? key
  if (!key || !value) return undefined
  const start = startOfLine(text, key[0])
  const indent = text.slice(start, key[0])
  return /^ *$/.test(indent) ? {start, end: endOfNode(text, value), indent} : undefined
}

const indented = (block: string, indent: string) =>
  block
    .split('\n')
    .map((line) => (line === '' ? line : `${indent}${line}`))
    .join('\n')

/** The entry `name:` with the declaration under it, at column 0, in the file's line ending. */
function entryText(
  name: string,
  before: string | undefined,
  beforeData: Record<string, unknown> | undefined,
  after: RepositoryDeclaration,
  yaml: Yaml,
): string {
  if (before === undefined || beforeData === undefined) return yaml.stringify({[name]: declarationTable(after)})
  const doc = yaml.parseDocument(before)
  setDeclaration(doc, [name], beforeData, after, yaml)
  return doc.toString()
}

function spliceEntry(
  text: string,
  doc: Document,
  name: string,
  beforeData: Record<string, unknown> | undefined,
  after: RepositoryDeclaration | undefined,
  yaml: Yaml,
): string | undefined {
  if (text.includes('\r')) return undefined
  const root = doc.contents
  if (root !== null && (!yaml.isMap(root) || root.flow)) return undefined
  const reposPair = root ? pairNamed(root, 'repositories', yaml) : undefined
  const repos = reposPair?.value
  if (!reposPair || repos === null || (yaml.isScalar(repos) && repos.value === null)) {
    if (!after) return text
    const rest = reposPair ? pairLines(text, reposPair) : undefined
    if (reposPair && !rest) return undefined
    const block = indented(`repositories:\n${indented(entryText(name, undefined, undefined, after, yaml), '  ')}`, rest?.indent ?? '')
    if (rest) return `${text.slice(0, rest.start)}${block}${text.slice(rest.end)}`
    return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${block}`
  }
  if (!yaml.isMap(repos) || repos.flow) return undefined
  const entry = pairNamed(repos, name, yaml)
  const entryAt = entry ? pairLines(text, entry) : undefined
  if (entry && !entryAt) return undefined
  if (!after) {
    if (!entryAt) return text
    const whole = repos.items.length === 1 ? pairLines(text, reposPair) : entryAt
    if (!whole) return undefined
    let start = whole.start
    // Comment lines right above a later entry describe it and go with it (above the first, they more likely describe the map).
    if (whole === entryAt && repos.items[0] !== entry)
      while (start > 0 && /^ *#.*\n$/.test(text.slice(startOfLine(text, start - 1), start))) start = startOfLine(text, start - 1)
    return text.slice(0, start) + text.slice(whole.end)
  }
  if (entryAt) {
    const own = text.slice(entryAt.start, entryAt.end)
    const dedented = own
      .split('\n')
      .map((line) => (line.startsWith(entryAt.indent) ? line.slice(entryAt.indent.length) : line))
      .join('\n')
    return `${text.slice(0, entryAt.start)}${indented(entryText(name, dedented, beforeData, after, yaml), entryAt.indent)}${text.slice(entryAt.end)}`
  }
  const last = repos.items.at(-1) as Pair<Node, Node | null> | undefined
  const lastAt = last ? pairLines(text, last) : undefined
  if (!lastAt) return undefined
  const separator = text.slice(0, lastAt.end).endsWith('\n') ? '' : '\n'
  return `${text.slice(0, lastAt.end)}${separator}${indented(entryText(name, undefined, undefined, after, yaml), lastAt.indent)}${text.slice(lastAt.end)}`
}
