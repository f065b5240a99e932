import {readFile} from 'node:fs/promises'

import {ConfigError, NotFoundError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import type {ModuleType} from './module-types.js'

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
  if (doc.errors.length > 0) throw new ConfigError(`${file}: ${doc.errors[0].message}`, {hint: 'fix the YAML first ("provisioning config validate")', details: {file}})
  return {yaml, doc, text}
}

/** The declared name of a module entry: a reference string or `{name, version}`. */
function entryName(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry.replace(/^[a-z-]+:\/\//, '').split('/').pop()?.replace(/[:@].*$/, '')
  if (entry && typeof entry === 'object' && 'name' in entry) return String((entry as {name: unknown}).name)
  return undefined
}

/**
 * Adds or removes modules in `config/provisioning.yaml`, editing the YAML document so
 * comments and layout survive, and writing it atomically.
 */
export async function editModules(file: string, type: ModuleType, change: {add?: Array<{name: string; version: string}>; remove?: string[]}): Promise<{added: string[]; removed: string[]; unchanged: string[]}> {
  const {yaml: {isSeq, YAMLSeq}, doc} = await openConfigDocument(file)
  const listPath = [...MODULES_KEY, `${type}s`]
  let list = doc.getIn(listPath, true)
  if (!isSeq(list)) {
    list = new YAMLSeq()
    doc.setIn(listPath, list)
  }
  const seq = list as InstanceType<typeof YAMLSeq>
  const names = () => seq.items.map((item) => entryName((item as {toJSON?: () => unknown}).toJSON?.() ?? item))
  const result = {added: [] as string[], removed: [] as string[], unchanged: [] as string[]}
  for (const {name, version} of change.add ?? []) {
    if (names().includes(name)) {
      result.unchanged.push(name)
      continue
    }
    seq.add(doc.createNode(version === '*' ? {name, version: '*'} : {name, version}, {flow: true}))
    result.added.push(name)
  }
  for (const name of change.remove ?? []) {
    const index = names().indexOf(name)
    if (index < 0) {
      throw new NotFoundError(`${name} is not declared under dependencies.extensions.modules.${type}s in ${file}`, {
        hint: `"provisioning module list ${type}" shows what is declared`,
        details: {name, type, file},
      })
    }
    seq.items.splice(index, 1)
    result.removed.push(name)
  }
  if (result.added.length > 0 || result.removed.length > 0) await writeFileAtomic(file, doc.toString())
  return result
}
