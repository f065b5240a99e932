import path from 'node:path'

import {ConfigError} from '../errors.js'
import {MAX_NESTING_DEPTH, nestingProblem, shortKeyPath} from '../util/nesting.js'
import {readUntrustedSync} from '../util/untrusted-file.js'
import {isAliasExpansionError, YAML_MAX_ALIAS_COUNT} from '../util/yaml-limits.js'
import {cachesParseOf, readParsed, writeParsed} from './parse-cache.js'
import {snapshotSource} from './template-snapshot.js'

export type ConfigFormat = 'toml' | 'yaml'
export type ConfigTable = Record<string, unknown>

/** A parsed config file that can say on which line a key path was set. */
export interface ConfigSource {
  file: string
  format: ConfigFormat
  data: ConfigTable
  /**
   * 1-based line of the key, computed on first use (only `--origin` and errors need it).
   * List items are addressed with brackets (`a.list[1]`, `a.list[1][0]`; see {@link itemKeyPath}).
   * Keys inside a list item (`a.list[1].name`) have a line in TOML files only; ask for the
   * item's then. TOML lines need {@link prepareLineLookups} first.
   */
  lineOf(keyPath: string): number | undefined
}

/** `a.list` + 1 → `a.list[1]`: the key path of a list item, as `lineOf` takes it. */
export function itemKeyPath(listKeyPath: string, index: number): string {
  return `${listKeyPath}[${index}]`
}

/** `a.list` + `b` → `a.list.b`; the top level has no prefix. */
const childKeyPath = (prefix: string, key: string) => (prefix === '' ? key : `${prefix}.${key}`)

export function formatOf(file: string): ConfigFormat {
  return path.extname(file) === '.toml' ? 'toml' : 'yaml'
}

/**
 * Reads and parses one config file. A missing file gives `undefined` (layers are
 * optional); an unreadable file or a syntax error throws a ConfigError naming file,
 * line and column.
 */
export async function readConfigSource(file: string): Promise<ConfigSource | undefined> {
  let text: string
  try {
    text = readConfigFileText(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (error instanceof ConfigError) throw error
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`, {
      hint: code === 'EACCES' ? `check the file's permissions (chmod u+r ${file})` : 'check that the path is a readable file',
      details: {file},
    })
  }
  return snapshotSource(file, text, formatOf(file)) ?? parseConfigText(text, file)
}

/** Config files are text a person writes: anything near this size is a mistake or an attack. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024

/**
 * A config file may be a link (dotfile managers link them), but it must end at a regular
 * file of a sane size: a workspace config arriving through a pull request could be a link
 * to /dev/zero or a FIFO, which would fill memory or block forever.
 */
export function readConfigFileText(file: string): string {
  // Synchronous: a few small files per run, where the thread pool's round trips cost more than the reads.
  const read = readUntrustedSync(file, {max: MAX_CONFIG_BYTES, followLinks: true})
  if (read.kind === 'data') return read.data.toString('utf8')
  // Errors shaped like readFile's: the caller reports both the same way.
  if (read.kind === 'missing') throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), {code: 'ENOENT'})
  if (read.reason.includes('a folder')) throw Object.assign(new Error('EISDIR: illegal operation on a directory, read'), {code: 'EISDIR'})
  throw new ConfigError(`cannot read ${file}: ${read.reason}`, {hint: 'point the layer at a regular config file', details: {file}})
}

export async function parseConfigText(text: string, file: string, format = formatOf(file)): Promise<ConfigSource> {
  return format === 'toml' ? parseToml(text, file) : parseYaml(text, file)
}

/**
 * Parsed data every later step can walk: nested at most MAX_NESTING_DEPTH levels and
 * free of cycles (a YAML alias to its own ancestor), which would overflow the stack of
 * the recursive merge, interpolation and output.
 */
function checkedNesting<T>(data: T, file: string): T {
  const problem = nestingProblem(data)
  if (!problem) return data
  const at = shortKeyPath(problem.path)
  throw problem.kind === 'cycle'
    ? new ConfigError(`${file} has a value that contains itself at ${at} (a YAML alias to one of its own parents)`, {
        hint: `replace the alias under ${at} in ${file} with a copy of the values it needs`,
        details: {file, key: at},
      })
    : new ConfigError(`${file} nests tables and lists more than ${MAX_NESTING_DEPTH} levels deep (at ${at})`, {
        hint: `flatten the structure in ${file}; configuration never needs more than a few levels`,
        details: {file, key: at, maxDepth: MAX_NESTING_DEPTH},
      })
}

function syntaxError(file: string, line: number, column: number, reason: string): ConfigError {
  return new ConfigError(`${file}:${line}:${column}: syntax error: ${reason}`, {
    hint: `fix the syntax at line ${line}, column ${column} of ${file}`,
    details: {file, line, column},
  })
}

async function parseToml(text: string, file: string): Promise<ConfigSource> {
  const {parse, TomlError} = await import('smol-toml')
  let data: ConfigTable
  try {
    // maxDepth stops deep inline `[[[…` / `{a={…` early with a position; deep dotted keys
    // and table headers it does not count are caught by checkedNesting.
    data = parse(text, {maxDepth: MAX_NESTING_DEPTH}) as ConfigTable
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0].replace(/^Invalid TOML document: /, '')
      throw syntaxError(file, error.line, error.column, reason)
    }
    throw error
  }
  checkedNesting(data, file)
  let lines: Map<string, number> | undefined
  return {
    file,
    format: 'toml',
    data,
    lineOf(keyPath) {
      // Not remembered before the parser is loaded: a lookup made too early must not leave
      // the file without lines for the rest of the run.
      if (!tomlParser) return undefined
      lines ??= tomlKeyLines(text)
      return lines.get(keyPath)
    },
  }
}

interface TomlKeyNode {
  keys: Array<{name?: string; value?: string}>
}
interface TomlNode {
  type: string
  loc: {start: {line: number}}
  resolvedKey?: Array<string | number>
  key?: TomlKeyNode
  body?: TomlNode[]
  value?: TomlNode
  elements?: TomlNode[]
}

// smol-toml returns values only; positions come from toml-eslint-parser's AST, loaded
// lazily because only provenance output and error messages need line numbers.
let tomlParser: typeof import('toml-eslint-parser') | undefined
async function loadTomlParser(): Promise<void> {
  tomlParser ??= await import('toml-eslint-parser')
}

function tomlKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>()
  if (!tomlParser) return lines
  let ast: {body: TomlNode[]}
  try {
    ast = tomlParser.parseTOML(text) as unknown as {body: TomlNode[]}
  } catch {
    // smol-toml already accepted the text; this parser gives up on some of it (a string of
    // ~100k characters overflows its stack). Lines only decorate messages and --origin,
    // so the values are shown without them rather than not at all.
    return lines
  }
  const keyName = (k: {name?: string; value?: string}) => String(k.name ?? k.value)
  // Inline tables and arrays nest: `a = [{b = [1, 2]}]` gives a, a[0], a[0].b, a[0].b[0], …
  const visitValue = (node: TomlNode | undefined, own: string) => {
    if (node?.type === 'TOMLInlineTable') for (const child of node.body ?? []) visitKeyValue(child, own)
    else if (node?.type === 'TOMLArray') {
      node.elements?.forEach((element, index) => {
        const item = itemKeyPath(own, index)
        lines.set(item, element.loc.start.line)
        visitValue(element, item)
      })
    }
  }
  const visitKeyValue = (node: TomlNode, prefix: string) => {
    const own = (node.key?.keys ?? []).reduce((at, k) => childKeyPath(at, keyName(k)), prefix)
    lines.set(own, node.loc.start.line)
    visitValue(node.value, own)
  }
  for (const top of ast.body[0]?.body ?? []) {
    if (top.type === 'TOMLKeyValue') visitKeyValue(top, '')
    else if (top.type === 'TOMLTable') {
      // `[[a.list]]` resolves as ['a', 'list', 0]: numbers are items of an array of tables.
      // Every prefix, so the header also locates `a.list` (its first header) and `a.list[0]`.
      let tablePath = ''
      for (const part of top.resolvedKey ?? []) {
        tablePath = typeof part === 'number' ? itemKeyPath(tablePath, part) : childKeyPath(tablePath, part)
        if (!lines.has(tablePath)) lines.set(tablePath, top.loc.start.line)
      }
      for (const child of top.body ?? []) visitKeyValue(child, tablePath)
    }
  }
  return lines
}

async function parseYaml(text: string, file: string): Promise<ConfigSource> {
  const cached = cachesParseOf(text) ? readParsed(text) : undefined
  if (cached)
    return {
      file,
      format: 'yaml',
      data: checkedNesting(cached.data, file),
      lineOf: (keyPath) => (Object.hasOwn(cached.lines, keyPath) ? cached.lines[keyPath] : undefined),
    }
  const {parseDocument, LineCounter, isMap, isPair, isScalar, isSeq} = await import('yaml')
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: true})
  const [first] = doc.errors
  if (first) {
    // With prettyErrors off the yaml package never fills `linePos`; derive it from the offset.
    const pos = first.linePos?.[0] ?? lineCounter.linePos(first.pos[0])
    throw syntaxError(file, pos.line, pos.col, first.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, ''))
  }
  let value: unknown
  try {
    value = doc.toJS({maxAliasCount: YAML_MAX_ALIAS_COUNT}) ?? {}
  } catch (error) {
    if (!isAliasExpansionError(error)) throw error
    throw new ConfigError(`${file} uses YAML aliases that expand too much (at most ${YAML_MAX_ALIAS_COUNT} expansions: ${(error as Error).message})`, {
      hint: `write the repeated values out in ${file} instead of nesting anchors (&name) and aliases (*name)`,
      details: {file, maxAliasCount: YAML_MAX_ALIAS_COUNT},
    })
  }
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw new ConfigError(`${file}:1:1: the top level must be a mapping of keys, not ${Array.isArray(value) ? 'a list' : typeof value}`, {
      hint: 'write the file as `key: value` lines',
      details: {file, line: 1, column: 1},
    })
  }
  checkedNesting(value, file)
  let lines: Map<string, number> | undefined
  const lineOfNode = (node: unknown) => {
    const offset = (node as {range?: [number, number, number]} | null)?.range?.[0]
    return offset === undefined ? undefined : lineCounter.linePos(offset).line
  }
  // Keys of mappings, and items of sequences (block `- x` or flow `[x, y]`): `a.list[1]` is
  // the line where that item starts, `a.list[1][0]` an item of a list in a list. Not the keys
  // of a mapping inside a list (`a.list[1].name`): the lines go into the parse cache, and a
  // lockfile's entries (~8 keys each) would double its entry, read on every locked run.
  const collect = (node: unknown, prefix: string, into: Map<string, number>) => {
    if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const keyPath = itemKeyPath(prefix, index)
        const line = lineOfNode(item)
        if (line !== undefined) into.set(keyPath, line)
        if (isSeq(item)) collect(item, keyPath, into)
      })
      return
    }
    if (!isMap(node)) return
    for (const item of node.items) {
      if (!isPair(item)) continue
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key)
      const keyPath = childKeyPath(prefix, key)
      const line = lineOfNode(item.key)
      if (line !== undefined) into.set(keyPath, line)
      collect(item.value, keyPath, into)
    }
  }
  const lineMap = () => {
    if (!lines) {
      lines = new Map()
      collect(doc.contents, '', lines)
    }
    return lines
  }
  if (cachesParseOf(text)) writeParsed(text, {data: value as ConfigTable, lines: Object.fromEntries(lineMap())})
  return {
    file,
    format: 'yaml',
    data: value as ConfigTable,
    lineOf: (keyPath) => lineMap().get(keyPath),
  }
}

/** Prepares TOML line lookups; call before rendering provenance. */
export async function prepareLineLookups(): Promise<void> {
  await loadTomlParser()
}
