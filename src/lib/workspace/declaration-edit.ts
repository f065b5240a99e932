import {readFile} from 'node:fs/promises'

import {ConfigError, NotFoundError} from '../errors.js'
import type {ExtensionType} from '../extension/names.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {entryText, sameData, spliceAppend, spliceRemove} from './yaml-splice.js'

/** Where a workspace config declares its modules. */
export const MODULES_KEY = ['dependencies', 'extensions', 'modules']

/**
 * The workspace config as an editable YAML document (comments and layout survive an edit),
 * with its text and the yaml module; a syntax error is a ConfigError naming the file.
 */
export async function openConfigDocument(file: string) {
  const yaml = await import('yaml')
  const text = await readFile(file, 'utf8')
  const doc = yaml.parseDocument(text)
  if (doc.errors.length > 0)
    throw new ConfigError(`${file}: ${doc.errors[0].message}`, {hint: 'fix the YAML first ("provisioning config validate")', details: {file}})
  return {yaml, doc, text}
}

/** The declared name of a module entry: a reference string or `{name, version}`. */
function entryName(entry: unknown): string | undefined {
  if (typeof entry === 'string')
    return entry
      .replace(/^[a-z-]+:\/\//, '')
      .split('/')
      .pop()
      ?.replace(/[:@].*$/, '')
  if (entry && typeof entry === 'object' && 'name' in entry) return String((entry as {name: unknown}).name)
  return undefined
}

/**
 * Adds or removes modules in `config/provisioning.yaml` and writes it atomically. The edit
 * is made on the text (yaml-splice.ts), so comments, flow spacing, blank lines and
 * indentation of every untouched line stay byte-identical; the Document API computes the
 * expected data, and its rendering is the fallback for layouts the text edit does not handle.
 */
export async function editModules(
  file: string,
  type: ExtensionType,
  change: {add?: Array<{name: string; version: string}>; remove?: string[]},
): Promise<{added: string[]; removed: string[]; unchanged: string[]}> {
  const {yaml, doc, text} = await openConfigDocument(file)
  const {isSeq, YAMLSeq} = yaml
  const group = `${type}s`
  const listPath = [...MODULES_KEY, group]
  let list = doc.getIn(listPath, true)
  if (!isSeq(list)) {
    list = new YAMLSeq()
    doc.setIn(listPath, list)
  }
  const seq = list as InstanceType<typeof YAMLSeq>
  const names = () => seq.items.map((item) => entryName((item as {toJSON?: () => unknown}).toJSON?.() ?? item))
  const result = {added: [] as string[], removed: [] as string[], unchanged: [] as string[]}
  let edited: string | undefined = text
  // Each hand edit works on a fresh parse of the text edited so far (node ranges stay exact).
  const modulesNode = (source: string): unknown => yaml.parseDocument(source).getIn(MODULES_KEY, true)
  for (const entry of change.add ?? []) {
    if (names().includes(entry.name)) {
      result.unchanged.push(entry.name)
      continue
    }
    const parent: unknown = edited === undefined ? undefined : modulesNode(edited)
    const current = yaml.isMap(parent) ? parent.get(group, true) : undefined
    const item = entryText(edited ?? text, isSeq(current) ? current : undefined, entry, yaml)
    edited = edited !== undefined && yaml.isMap(parent) ? spliceAppend(edited, parent, group, item.text, yaml) : undefined
    // The document gets the entry's value (string or map form), not its text: the edited text is checked against it.
    const node = doc.createNode(item.value)
    if (yaml.isMap(node)) node.flow = true
    seq.add(node)
    result.added.push(entry.name)
  }
  for (const name of change.remove ?? []) {
    const index = names().indexOf(name)
    if (index < 0) {
      throw new NotFoundError(`${name} is not declared under dependencies.extensions.modules.${group} in ${file}`, {
        hint: `"provisioning module list ${type}" shows what is declared`,
        details: {name, type, file},
      })
    }
    const parent: unknown = edited === undefined ? undefined : modulesNode(edited)
    edited = edited !== undefined && yaml.isMap(parent) ? spliceRemove(edited, parent, group, index, yaml) : undefined
    seq.items.splice(index, 1)
    result.removed.push(name)
  }
  if (result.added.length > 0 || result.removed.length > 0) {
    await writeFileAtomic(file, edited !== undefined && sameData(yaml, edited, doc) ? edited : doc.toString())
  }
  return result
}
