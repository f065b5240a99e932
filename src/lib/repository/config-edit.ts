import {realpath} from 'node:fs/promises'
import path from 'node:path'

import {ConfigError} from '../errors.js'
import {writeFileAtomic} from '../util/atomic-write.js'
import {withFileLock} from '../util/file-lock.js'
import {readUntrusted} from '../util/untrusted-file.js'
import {asTable, type DeclarationEdit, declarationTable} from './declaration.js'
import {editTomlTable} from './toml-edit.js'
import {editYamlRepository} from './yaml-edit.js'

/** Config files are text a person writes: anything near this size is a mistake or an attack. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024
const LOCK_WAIT_MS = 10_000

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
    const edited = /\.ya?ml$/i.test(target) ? await editYamlRepository(text, target, name, edit) : await editToml(text, target, name, edit)
    if (edited.text !== text) await writeFileAtomic(target, edited.text)
    return {before: edited.before}
  })
}

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
  return {text: await editTomlTable(text, file, ['repositories', name], after && declarationTable(after)), before}
}
