import {ConfigError} from '../errors.js'

/**
 * Sets or removes one table of a TOML file (`[repositories.NAME]` and its sub-tables such
 * as `[repositories.NAME.labels]`), editing the text by hand: smol-toml parses and
 * stringifies values only, so a round trip through it would drop every comment and blank
 * line of the user's config.user.toml. Lines of the table are changed one by one (keeping
 * their indentation and trailing comments); a table written in a shape this does not edit
 * line by line (inline tables, arrays, multi-line strings) is rewritten whole in place.
 * Every edit is checked: the edited text must parse to exactly the original data with that
 * one table changed, else nothing is returned but an error.
 */

type Scalar = string | number | boolean
export type TomlTable = Record<string, Scalar | Record<string, Scalar>>

interface Line {
  text: string
  header?: string[]
}

interface Block {
  path: string[]
  /** Index of the header line and one past the block's last line. */
  start: number
  end: number
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/
const KEY_SEGMENT = String.raw`(?:[A-Za-z0-9_-]+|"[^"\\\n]*"|'[^'\n]*')`
const KEY_VALUE = new RegExp(String.raw`^(\s*)(${KEY_SEGMENT}(?:\s*\.\s*${KEY_SEGMENT})*)\s*=\s*(.*)$`)
const SIMPLE_VALUE = /^("(?:[^"\\]|\\.)*"|'[^']*'|[+-]?[0-9][0-9_]*|true|false)(\s*#.*)?\s*$/
const HEADER = /^\s*\[(?!\[)([^\]]*)\]\s*(?:#.*)?$/
const ARRAY_HEADER = /^\s*\[\[/

/** A TOML basic string: JSON's escapes are TOML's, except DEL, which TOML wants escaped too. */
export const tomlString = (value: string) => JSON.stringify(value).replaceAll('\u007f', String.raw`\u007f`)
const tomlKey = (key: string) => (BARE_KEY.test(key) ? key : tomlString(key))
const tomlValue = (value: Scalar) => (typeof value === 'string' ? tomlString(value) : String(value))
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((part, i) => part === b[i])
const startsWith = (path: string[], prefix: string[]) => path.length >= prefix.length && prefix.every((part, i) => path[i] === part)

/** The parts of a dotted key (`a."b.c".d`), or undefined for what this parser does not read (escapes). */
function keyPath(source: string): string[] | undefined {
  const parts: string[] = []
  const pattern = new RegExp(String.raw`^\s*(${KEY_SEGMENT})\s*(\.|$)`)
  let rest = source
  for (;;) {
    const match = pattern.exec(rest)
    if (!match) return undefined
    const segment = match[1]
    parts.push(segment.startsWith('"') || segment.startsWith("'") ? segment.slice(1, -1) : segment)
    rest = rest.slice(match[0].length)
    if (match[2] === '') return parts
  }
}

function readLines(text: string): {lines: Line[]; eol: string} {
  const eol = text.includes('\r\n') ? '\r\n' : '\n'
  const raw = text.split(/\r?\n/)
  if (raw.at(-1) === '') raw.pop()
  const lines = raw.map((line): Line => {
    if (ARRAY_HEADER.test(line)) return {text: line, header: []}
    const match = HEADER.exec(line)
    return match ? {text: line, header: keyPath(match[1]) ?? []} : {text: line}
  })
  return {lines, eol}
}

const isComment = (line: Line) => /^\s*#/.test(line.text)
const isBlank = (line: Line) => line.text.trim() === ''

/** The blocks under `table` (its own and its sub-tables'), each from its header to the next header's attached comments. */
function blocksOf(lines: Line[], table: string[]): Block[] {
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const path = lines[i].header
    if (!path || !startsWith(path, table)) continue
    let end = i + 1
    while (end < lines.length && !lines[end].header) end++
    // Comment lines right above the next header describe that table.
    while (end < lines.length && end > i + 1 && isComment(lines[end - 1])) end--
    blocks.push({path, start: i, end})
  }
  return blocks
}

/** The table as TOML text: its scalars under its header, then one sub-table per table-valued field. */
export function renderTable(table: string[], value: TomlTable): string[] {
  const header = (path: string[]) => `[${path.map(tomlKey).join('.')}]`
  const lines = [header(table)]
  const subTables: string[] = []
  for (const [key, field] of Object.entries(value)) {
    if (typeof field !== 'object') {
      lines.push(`${tomlKey(key)} = ${tomlValue(field)}`)
      continue
    }
    const entries = Object.entries(field)
    if (entries.length === 0) continue
    subTables.push('', header([...table, key]), ...entries.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`))
  }
  return [...lines, ...subTables]
}

/**
 * The key/value lines of one block rewritten to `want` (scalars only): values replaced in
 * place, keys no longer wanted removed, new keys added after the last one. Undefined when
 * the block holds something else (a dotted key, an inline table, a multi-line value).
 */
function editBlock(lines: Line[], block: Block, want: Record<string, Scalar>): string[] | undefined {
  const out = [lines[block.start].text]
  const written = new Set<string>()
  let lastKey = 0
  for (let i = block.start + 1; i < block.end; i++) {
    const line = lines[i]
    if (isBlank(line) || isComment(line)) {
      out.push(line.text)
      continue
    }
    const match = KEY_VALUE.exec(line.text)
    const key = match ? keyPath(match[2]) : undefined
    const value = match ? SIMPLE_VALUE.exec(match[3]) : undefined
    if (!match || !key || key.length !== 1 || !value) return undefined
    const wanted = want[key[0]]
    if (wanted === undefined) continue
    out.push(`${match[1]}${tomlKey(key[0])} = ${tomlValue(wanted)}${value[2] ?? ''}`)
    written.add(key[0])
    lastKey = out.length
  }
  const added = Object.entries(want)
    .filter(([key]) => !written.has(key))
    .map(([key, value]) => `${tomlKey(key)} = ${tomlValue(value)}`)
  out.splice(lastKey || 1, 0, ...added)
  return out
}

const scalarsOf = (value: TomlTable) => Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v !== 'object')) as Record<string, Scalar>

/** The new lines of the file, or undefined when the table is in a shape edited only as a whole. */
function editInPlace(lines: Line[], table: string[], blocks: Block[], value: TomlTable | undefined): Line[] | undefined {
  const replaced: Array<{block: Block; lines: string[]}> = []
  const main = blocks.find((b) => sameList(b.path, table))
  if (value === undefined) {
    for (const block of blocks) {
      let start = block.start
      // Comments attached above the header go with the table.
      while (start > 0 && isComment(lines[start - 1]) && !replaced.some((r) => r.block.end === start)) start--
      replaced.push({block: {...block, start}, lines: []})
    }
  } else {
    if (!main) return undefined
    const mainLines = editBlock(lines, main, scalarsOf(value))
    if (!mainLines) return undefined
    replaced.push({block: main, lines: mainLines})
    const extra: string[] = []
    for (const [key, field] of Object.entries(value)) {
      if (typeof field !== 'object') continue
      const block = blocks.find((b) => sameList(b.path, [...table, key]))
      if (!block) {
        if (Object.keys(field).length > 0) extra.push(...renderTable([...table, key], field as TomlTable))
        continue
      }
      const edited = Object.keys(field).length === 0 ? [] : editBlock(lines, block, field)
      if (!edited) return undefined
      replaced.push({block, lines: edited})
    }
    for (const block of blocks) {
      if (replaced.some((r) => r.block === block)) continue
      const key = block.path[table.length]
      // A sub-table the value no longer has (labels all removed), or one deeper than edited here.
      if (block.path.length !== table.length + 1 || typeof value[key] === 'object') return undefined
      replaced.push({block, lines: []})
    }
    if (extra.length > 0) {
      const last = replaced.reduce((a, b) => (b.block.end > a.block.end ? b : a))
      last.lines = [...last.lines, ...trailingBlank(last.lines), ...extra]
    }
  }
  return splice(lines, replaced)
}

const trailingBlank = (lines: string[]) => (lines.length > 0 && lines.at(-1)?.trim() !== '' ? [''] : [])

function splice(lines: Line[], replaced: Array<{block: Block; lines: string[]}>): Line[] {
  const out: Line[] = []
  const sorted = [...replaced].sort((a, b) => a.block.start - b.block.start)
  let at = 0
  for (const {block, lines: text} of sorted) {
    out.push(...lines.slice(at, block.start), ...text.map((t) => ({text: t})))
    at = block.end
    // A removed table takes its trailing blank lines along (the table before keeps its own).
    if (text.length === 0) while (at < lines.length && isBlank(lines[at])) at++
  }
  out.push(...lines.slice(at))
  // A table removed from the end leaves no blank lines behind it.
  if (at >= lines.length && sorted.at(-1)?.lines.length === 0) while (out.length > 0 && isBlank(out[out.length - 1])) out.pop()
  return out
}

/** Every owned block removed and the whole table written where the first one was (or at the end). */
function rewriteWhole(lines: Line[], table: string[], blocks: Block[], value: TomlTable | undefined): Line[] {
  const rendered = value === undefined ? [] : renderTable(table, value)
  if (blocks.length === 0) {
    const separator = lines.length > 0 && !isBlank(lines[lines.length - 1]) ? [{text: ''}] : []
    return [...lines, ...separator, ...rendered.map((text) => ({text}))]
  }
  const [first, ...others] = blocks
  return splice(lines, [{block: first, lines: [...rendered, ...(rendered.length > 0 ? [''] : [])]}, ...others.map((block) => ({block, lines: []}))])
}

type Parsed = Record<string, unknown>

async function parseToml(text: string, file: string): Promise<Parsed> {
  const {parse, TomlError} = await import('smol-toml')
  try {
    return parse(text) as Parsed
  } catch (error) {
    if (error instanceof TomlError)
      throw new ConfigError(`${file}: ${error.message.split('\n')[0]}`, {hint: 'fix the TOML first ("provisioning config validate")', details: {file}})
    throw error
  }
}

/** Data with empty tables dropped and keys sorted: what "the same config" means for the check. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value === null || typeof value !== 'object' || value instanceof Date) return value
  const entries = Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => [k, canonical(v)] as const)
    .filter(([, v]) => !(v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && Object.keys(v).length === 0))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return Object.fromEntries(entries)
}

function withTable(data: Parsed, table: string[], value: TomlTable | undefined): Parsed {
  const copy = structuredClone(data)
  let parent: Record<string, unknown> = copy
  for (const part of table.slice(0, -1)) {
    const next = parent[part]
    if (next === undefined) parent[part] = {}
    else if (next === null || typeof next !== 'object' || Array.isArray(next)) throw new ConfigError(`${table.slice(0, -1).join('.')} is not a table`)
    parent = parent[part] as Record<string, unknown>
  }
  const key = table.at(-1) as string
  if (value === undefined) delete parent[key]
  else parent[key] = value
  return copy
}

/**
 * The text of `file` with the table at `table` set to `value` (or removed when undefined).
 * Throws a ConfigError (exit 3) when the file does not parse, or when the edit would not
 * read back as intended (the table is written in a form to edit by hand).
 */
export async function editTomlTable(text: string, file: string, table: string[], value: TomlTable | undefined): Promise<string> {
  const original = await parseToml(text, file)
  const expected = JSON.stringify(canonical(withTable(original, table, value)))
  const {lines, eol} = readLines(text)
  const blocks = blocksOf(lines, table)
  if (JSON.stringify(canonical(original)) === expected) return text
  // The first that reads back as intended wins; the last ignores what looked like the table's
  // headers (they may sit inside a multi-line string) and appends it.
  const candidates = [
    () => editInPlace(lines, table, blocks, value),
    () => rewriteWhole(lines, table, blocks, value),
    () => (value === undefined || blocks.length === 0 ? undefined : rewriteWhole(lines, table, [], value)),
  ]
  for (const candidate of candidates) {
    const edited = candidate()
    if (!edited) continue
    const result = edited.length === 0 ? '' : `${edited.map((l) => l.text).join(eol)}${eol}`
    const parsed = await parseToml(result, file).catch(() => undefined)
    if (parsed && JSON.stringify(canonical(parsed)) === expected) return result
  }
  throw new ConfigError(`${file}: ${table.join('.')} is written in a form that cannot be edited safely by the CLI`, {
    hint: `edit ${table.join('.')} in ${file} by hand (write it as a [${table.map(tomlKey).join('.')}] table to let the CLI edit it)`,
    details: {file, table: table.join('.')},
  })
}
