import type {Document, Node, Pair, YAMLMap, YAMLSeq} from 'yaml'

/**
 * Edits of a YAML list made on the source text, so every untouched byte (comments, flow
 * spacing, blank lines, indentation) stays as the user wrote it. Each function returns
 * the new text, or undefined when the layout is one it does not edit by hand (the caller
 * then falls back to the yaml Document API).
 */

type Yaml = typeof import('yaml')
type Range = [number, number, number]

const rangeOf = (node: unknown): Range | undefined => (node as Node | undefined)?.range ?? undefined
const lineStart = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1
const lineEnd = (text: string, at: number) => {
  const end = text.indexOf('\n', at)
  return end < 0 ? text.length : end
}
/**
 * Where a node's own text ends. A block collection's range runs to the start of the line
 * after its last line (it owns that newline): without this, an edit "after the node" would
 * land one line too far.
 */
const nodeEnd = (text: string, range: Range) => (range[1] > range[0] && text[range[1] - 1] === '\n' ? range[1] - 1 : range[1])
/** A new line after the line holding `at`, in the file's own line ending (CRLF stays CRLF). */
function insertLine(text: string, at: number, line: string): string {
  const crlf = text.includes('\r\n')
  let end = lineEnd(text, at)
  if (crlf && text[end - 1] === '\r') end--
  return `${text.slice(0, end)}${crlf ? '\r\n' : '\n'}${line}${text.slice(end)}`
}

/** A YAML scalar in the given quote style: `'` doubles inside single quotes; JSON's escapes are YAML's for double quotes. */
const quoted = (value: string, quote: string) => (quote === "'" ? `'${value.replaceAll("'", "''")}'` : JSON.stringify(value))

/**
 * A new entry in the style of its siblings (flow-map padding and quote character): its
 * YAML text, and the value it must read back as, built apart from that text so a check of
 * the edited file against it catches a text that says more than the entry.
 */
export function entryText(text: string, seq: YAMLSeq | undefined, entry: {name: string; version: string}, yaml: Yaml): {text: string; value: unknown} {
  const siblings = (seq?.items ?? []).map((item) => {
    const range = rangeOf(item)
    return {item, source: range ? text.slice(range[0], range[1]) : ''}
  })
  const quote = siblings.map((s) => /^['"]/.exec(s.source.replace(/^\{\s*[^,]*,\s*version:\s*/, ''))?.[0]).find(Boolean) ?? '"'
  const allStrings = siblings.length > 0 && siblings.every((s) => yaml.isScalar(s.item) && typeof s.item.value === 'string')
  if (allStrings && (entry.version === '*' || /^\d+\.\d+\.\d+$/.test(entry.version))) {
    const value = entry.version === '*' ? entry.name : `${entry.name}:${entry.version}`
    return {text: quoted(value, quote), value}
  }
  const pad = siblings.some((s) => yaml.isMap(s.item) && /^\{\s/.test(s.source)) ? ' ' : ''
  // A name stays plain as its siblings' are, unless plain it would read as something else (`null`, `1.0`).
  const name = /^[a-z0-9._-]+$/.test(entry.name) && yaml.parse(entry.name) === entry.name ? entry.name : quoted(entry.name, quote)
  return {text: `{${pad}name: ${name}, version: ${quoted(entry.version, quote)}${pad}}`, value: {name: entry.name, version: entry.version}}
}

/** Adds `item` (its YAML text) at the end of the list under `key` of `parent`. */
export function spliceAppend(text: string, parent: YAMLMap, key: string, item: string, yaml: Yaml): string | undefined {
  const pair = parent.items.find((p) => yaml.isScalar(p.key) && p.key.value === key) as Pair<Node, Node | null> | undefined
  if (!pair) return appendKey(text, parent, `${key}: [${item}]`)
  const value = pair.value
  const valueRange = rangeOf(value)
  if (!valueRange || (yaml.isScalar(value) && value.value === null && valueRange[0] === valueRange[1])) {
    const keyRange = rangeOf(pair.key)
    const colon = keyRange ? text.indexOf(':', keyRange[1]) : -1
    return colon < 0 ? undefined : `${text.slice(0, colon + 1)} [${item}]${text.slice(colon + 1)}`
  }
  if (!yaml.isSeq(value)) return undefined
  const items = value.items.map(rangeOf)
  if (items.some((r) => !r)) return undefined
  const last = items.at(-1)
  if (value.flow) {
    const close = valueRange[1] - 1
    if (text[close] !== ']') return undefined
    return last ? `${text.slice(0, last[1])}, ${item}${text.slice(last[1])}` : `${text.slice(0, close)}${item}${text.slice(close)}`
  }
  if (!last) return undefined
  const first = items[0] as Range
  const dash = text.slice(lineStart(text, first[0]), first[0])
  if (!/^\s*-\s+$/.test(dash)) return undefined
  return insertLine(text, nodeEnd(text, last), `${dash}${item}`)
}

/** A new `key: value` line after the last entry of a block map, at its entries' indentation. */
function appendKey(text: string, parent: YAMLMap, line: string): string | undefined {
  const first = rangeOf(parent.items[0]?.key)
  const lastPair = parent.items.at(-1)
  const end = rangeOf(lastPair?.value) ?? rangeOf(lastPair?.key)
  if (parent.flow || !first || !end) return undefined
  const indent = text.slice(lineStart(text, first[0]), first[0])
  if (!/^\s*$/.test(indent)) return undefined
  return insertLine(text, nodeEnd(text, end), `${indent}${line}`)
}

/** Removes entry `index` from the list under `key` of `parent`. */
export function spliceRemove(text: string, parent: YAMLMap, key: string, index: number, yaml: Yaml): string | undefined {
  const pair = parent.items.find((p) => yaml.isScalar(p.key) && p.key.value === key) as Pair<Node, Node | null> | undefined
  const seq = pair?.value
  if (!yaml.isSeq(seq)) return undefined
  const items = seq.items.map(rangeOf)
  if (items.some((r) => !r)) return undefined
  const [before, target, after] = [items[index - 1], items[index], items[index + 1]] as Array<Range | undefined>
  if (!target) return undefined
  if (seq.flow) {
    if (after) return text.slice(0, target[0]) + text.slice(after[0])
    if (before) return text.slice(0, before[1]) + text.slice(target[1])
    return text.slice(0, target[0]) + text.slice(target[1])
  }
  let from = lineStart(text, target[0])
  if (!/^\s*-\s+$/.test(text.slice(from, target[0]))) return undefined
  // Comment lines right above a later entry describe that entry and go with it (above the
  // first entry they more likely describe the list, and stay).
  while (index > 0 && from > 0 && /^\s*#.*$/.test(text.slice(lineStart(text, from - 1), from - 1))) from = lineStart(text, from - 1)
  const to = Math.min(lineEnd(text, nodeEnd(text, target)) + 1, text.length)
  const removed = text.slice(0, from) + text.slice(to)
  if (items.length > 1) return removed
  // The last entry: an empty flow list keeps the key a list rather than null.
  const keyRange = rangeOf(pair?.key)
  const colon = keyRange ? removed.indexOf(':', keyRange[1]) : -1
  return colon < 0 ? undefined : `${removed.slice(0, colon + 1)} []${removed.slice(colon + 1)}`
}

/**
 * The same data after a hand edit: the parsed text equals the expected document (the file
 * as read, changed through the Document API with the entries' values, never with their text).
 */
export function sameData(yaml: Yaml, edited: string, expected: Document): boolean {
  const doc = yaml.parseDocument(edited)
  return doc.errors.length === 0 && JSON.stringify(doc.toJS()) === JSON.stringify(expected.toJS())
}
