import {stat} from 'node:fs/promises'
import path from 'node:path'

import type {ConfigTable} from '../config/types.js'
import {declaredSourceFields} from '../deps/declaration.js'
import {ConfigError, NotFoundError} from '../errors.js'
import {expandHome} from '../util/home.js'

export const LOAD_SOURCES = ['local', 'oci'] as const
export type LoadSource = (typeof LOAD_SOURCES)[number]

const KEY = 'dependencies.extensions'

/**
 * `module load --source local|oci` (SPEC §10): the source the user expects the modules to
 * come from must be the one the workspace declares (§9.1 `source_type`; one source per
 * workspace), and a local source folder must exist. Checked before the declaration is
 * edited, so a refused load changes nothing. Returns the declared source type.
 */
export async function assertLoadSource(values: ConfigTable, workspace: string, file: string, requested: LoadSource | undefined): Promise<string> {
  const fields = declaredSourceFields(values)
  const declared = fields.sourceType ?? 'oci'
  if (requested === undefined) return String(declared)
  if (declared !== requested) {
    throw new ConfigError(`--source ${requested}: this workspace takes its extensions from ${JSON.stringify(declared)} (${KEY}.source_type, ${file})`, {
      hint:
        requested === 'local'
          ? `drop --source, or set ${KEY}.source_type: local with local: {path: ./extensions-src} in ${file}`
          : `drop --source, or publish the local extensions and switch the workspace to OCI ("provisioning workspace migrate-to-oci NAME")`,
      details: {requested, declared, key: `${KEY}.source_type`, file},
    })
  }
  if (requested === 'oci') return requested
  const {localPath} = fields
  if (typeof localPath !== 'string' || localPath === '') {
    throw new ConfigError(`--source local: ${KEY}.local.path is not set (${file})`, {
      hint: `set ${KEY}.local.path to the folder holding {type}/{name}/manifest.yaml`,
      details: {key: `${KEY}.local.path`, file},
    })
  }
  const folder = path.resolve(workspace, expandHome(localPath))
  if (
    !(await stat(folder).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  ) {
    throw new NotFoundError(`--source local: the local source folder ${folder} does not exist (${KEY}.local.path = ${JSON.stringify(localPath)})`, {
      hint: `create it with {type}/{name}/manifest.yaml folders, or fix ${KEY}.local.path in ${file}`,
      details: {folder, key: `${KEY}.local.path`, file},
    })
  }
  return requested
}
