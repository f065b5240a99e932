import {randomBytes} from 'node:crypto'
import {chmod, cp, mkdir, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {ValidationError} from '../errors.js'
import {expandHome} from '../util/home.js'
import {templatePath} from '../util/package-root.js'
import {EXTENSION_NAME_PATTERN, EXTENSION_TYPES, type ExtensionType} from './manifest.js'

export interface GenerateOptions {
  /** The folder to create (absolute, or relative to cwd); default `<cwd>/<name>`. */
  path?: string
  cwd: string
}

export interface GeneratedExtension {
  path: string
  /** Created files, relative to path, sorted. */
  files: string[]
}

/** A KCL schema identifier from an extension name: `my-redis.v2` -> `MyRedisV2`. */
export function schemaNameOf(name: string): string {
  const pascal = name
    .split(/[._-]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('')
  return /^[0-9]/.test(pascal) ? `Ext${pascal}` : pascal
}

function checkArguments(type: string, name: string): asserts type is ExtensionType {
  if (!(EXTENSION_TYPES as readonly string[]).includes(type)) {
    const singular = type.replace(/s$/, '')
    const hint = (EXTENSION_TYPES as readonly string[]).includes(singular) ? `use the singular: ${singular}` : `use one of: ${EXTENSION_TYPES.join(', ')}`
    throw new ValidationError(`unknown extension type "${type}"`, {hint, details: {type}})
  }
  if (!EXTENSION_NAME_PATTERN.test(name)) {
    throw new ValidationError(`"${name}" is not a valid extension name`, {
      hint: 'names start with a lowercase letter or digit and contain only a-z, 0-9, ".", "_" and "-"',
      details: {name},
    })
  }
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(root, full)))
    else out.push(path.relative(root, full).split(path.sep).join('/'))
  }
  return out.sort()
}

/** Fills the placeholders of templates/extension in file names and contents. */
async function fillPlaceholders(root: string, values: Record<string, string>): Promise<void> {
  const fill = (text: string) => Object.entries(values).reduce((out, [key, value]) => out.replaceAll(key, value), text)
  for (const relative of await listFiles(root)) {
    const from = path.join(root, relative)
    const to = path.join(root, fill(relative))
    const text = await readFile(from, 'utf8')
    await writeFile(from, fill(text))
    if (to !== from) await rename(from, to)
    // Exec bits do not survive every way templates get installed (npm pack, zips), so set them here.
    if (to.endsWith('.sh')) await chmod(to, 0o755)
  }
}

/**
 * `generate extension TYPE NAME [--path]`: scaffolds templates/extension into a new
 * folder that passes `oci package validate` unchanged. It is built in a temp sibling and
 * renamed into place, so a failure leaves nothing behind; an existing non-empty target
 * is refused untouched.
 */
export async function generateExtension(type: string, name: string, options: GenerateOptions): Promise<GeneratedExtension> {
  checkArguments(type, name)
  const target = path.resolve(options.cwd, expandHome(options.path ?? name))

  const existing = await stat(target).catch(() => undefined)
  if (existing && !existing.isDirectory()) {
    throw new ValidationError(`${target} exists and is not a folder`, {hint: 'choose another --path', details: {path: target}})
  }
  if (existing && (await readdir(target)).length > 0) {
    throw new ValidationError(`refusing to generate an extension in ${target}: the folder is not empty`, {
      hint: 'choose a new or empty folder with --path',
      details: {path: target},
    })
  }

  await mkdir(path.dirname(target), {recursive: true})
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.generate-${randomBytes(4).toString('hex')}`)
  try {
    await cp(templatePath('extension'), staging, {recursive: true})
    await fillPlaceholders(staging, {__NAME__: name, __TYPE__: type, __SCHEMA__: schemaNameOf(name)})
    // rename(2) replaces an empty directory, so an existing empty target needs no removal.
    await rename(staging, target)
  } catch (error) {
    await rm(staging, {recursive: true, force: true})
    throw error
  }
  return {path: target, files: await listFiles(target)}
}
