import {realpath} from 'node:fs/promises'
import path from 'node:path'

import {ConfigError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {withFileLock} from '../util/file-lock.js'
import {readUntrusted} from '../util/untrusted-file.js'
import {YAML_MAX_ALIAS_COUNT} from '../util/yaml-limits.js'
import type {RepositoryMode} from './repository.js'
import {canonical, editTomlTable, type TomlTable} from './toml-edit.js'

/** A repository as written in config: visibility is not written, it follows the file. */
export interface RepositoryDeclaration {
  url: string
  description?: string
  mode: RepositoryMode
  priority?: number
  labels: Record<string, string>
}

/** What a file says about one repository now (undefined: not declared there); returns what it should say (undefined: removed). */
export type DeclarationEdit = (current: Record<string, unknown> | undefined) => RepositoryDeclaration | undefined

/** Config files are text a person writes: anything near this size is a mistake or an attack. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024
const LOCK_WAIT_MS = 10_000

function tableOf(declaration: RepositoryDeclaration): TomlTable {
  return {
    url: declaration.url,
    ...(declaration.description === undefined ? {} : {description: declaration.description}),
    mode: declaration.mode,
    ...(declaration.priority === undefined ? {} : {priority: declaration.priority}),
    ...(Object.keys(declaration.labels).length > 0 ? {labels: declaration.labels} : {}),
  }
}

/** A config file's text ('' when it does not exist yet), read like any config file. */
async function readConfigText(file: string): Promise<string> {
  const read = await readUntrusted(file, {max: MAX_CONFIG_BYTES, followLinks: true})
  if (read.kind === 'missing') return ''
  if (read.kind === 'unusable')
    throw new ConfigError(`cannot read ${file}: ${read.reason}`, {hint: 'point the layer at a regular config file', details: {file}})
  return read.data.toString('utf8')
}

/**
 * Edits `repositories.<name>` in one config file (YAML or TOML by its extension) under a
 * lock beside it, so that two concurrent edits both land; the write is atomic. A linked
 * config file (dotfile managers) is edited at its target. Returns what the file said before.
 */
export async function editRepositoryDeclaration(file: string, name: string, edit: DeclarationEdit): Promise<{before?: Record<string, unknown>}> {
  const target = await realpath(file).catch(() => file)
  const lock = path.join(path.dirname(target), `.${path.basename(target)}.edit.lock`)
  return withFileLock(lock, {waitMs: LOCK_WAIT_MS, purpose: `repository ${name} edit`}, async () => {
    const text = await readConfigText(target)
    const edited = /\.ya?ml$/i.test(target) ? await editYaml(text, target, name, edit) : await editToml(text, target, name, edit)
    if (edited.text !== text) await writeFileAtomic(target, edited.text)
    return {before: edited.before}
  })
}

const asTable = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined

async function editToml(text: string, file: string, name: string, edit: DeclarationEdit): Promise<{text: string; before?: Record<string, unknown>}> {
  const {parse} = await import('smol-toml')
  let data: Record<string, unknown>
  try {
    data = parse(text) as Record<string, unknown>
  } catch (error) {
    throw new ConfigError(`${file}: ${(error as Error).message.split('\n')[0]}`, {hint: 'fix the TOML first ("provisioning config validate")', details: {file}})
  }
  const before = asTable(asTable(data.repositories)?.[name])
  const after = edit(before)
  return {text: await editTomlTable(text, file, ['repositories', name], after && tableOf(after)), before}
}

/**
 * YAML through the Document API: untouched nodes keep their comments and layout; fields of
 * an existing declaration are set one by one so that comments on them stay too. The result
 * must read back as the file's data with exactly this declaration changed.
 */
async function editYaml(text: string, file: string, name: string, edit: DeclarationEdit): Promise<{text: string; before?: Record<string, unknown>}> {
  const yaml = await import('yaml')
  const doc = yaml.parseDocument(text)
  const broken = (why: string) => new ConfigError(`${file}: ${why}`, {hint: 'fix the YAML first ("provisioning config validate")', details: {file}})
  if (doc.errors.length > 0) throw broken(doc.errors[0].message)
  const data = (doc.toJS({maxAliasCount: YAML_MAX_ALIAS_COUNT}) ?? {}) as Record<string, unknown>
  if (asTable(data) === undefined) throw broken('the document is not a mapping')
  const before = asTable(asTable(data.repositories)?.[name])
  const after = edit(before)
  const key = ['repositories', name]
  if (after === undefined) {
    doc.deleteIn(key)
    const repositories = doc.get('repositories', true)
    if (yaml.isMap(repositories) && repositories.items.length === 0) doc.delete('repositories')
  } else {
    const table = tableOf(after)
    if (!yaml.isMap(doc.get('repositories', true))) {
      const existing = doc.get('repositories')
      if (existing !== undefined && existing !== null) throw broken('repositories is not a mapping')
      doc.set('repositories', doc.createNode({}))
    }
    if (before === undefined || !yaml.isMap(doc.getIn(key, true))) doc.setIn(key, doc.createNode(table))
    else {
      for (const field of ['url', 'description', 'mode', 'priority'] as const) {
        if (table[field] === undefined) doc.deleteIn([...key, field])
        else if (before[field] !== table[field]) doc.setIn([...key, field], table[field])
      }
      const labels = after.labels
      if (Object.keys(labels).length === 0 || !yaml.isMap(doc.getIn([...key, 'labels'], true))) {
        doc.deleteIn([...key, 'labels'])
        if (Object.keys(labels).length > 0) doc.setIn([...key, 'labels'], doc.createNode(labels))
      } else {
        const old = asTable(before.labels) ?? {}
        for (const label of Object.keys(old)) if (!(label in labels)) doc.deleteIn([...key, 'labels', label])
        for (const [label, value] of Object.entries(labels)) if (old[label] !== value) doc.setIn([...key, 'labels', label], value)
      }
    }
  }
  const edited = doc.toString()
  const expected = {...data, repositories: {...asTable(data.repositories), [name]: after && tableOf(after)}}
  if (after === undefined) delete (expected.repositories as Record<string, unknown>)[name]
  const reread = yaml.parseDocument(edited)
  if (reread.errors.length > 0 || JSON.stringify(canonical(reread.toJS({maxAliasCount: YAML_MAX_ALIAS_COUNT}))) !== JSON.stringify(canonical(expected))) {
    throw new ConfigError(`${file}: repositories.${name} could not be edited so that the file reads back as intended`, {
      hint: `edit repositories.${name} in ${file} by hand`,
      details: {file, key: `repositories.${name}`},
    })
  }
  return {text: edited, before}
}
