import path from 'node:path'

import {MANIFEST_FILE} from '../extension/extension-dir.js'
import {parseManifestYaml, relationMap} from '../extension/manifest.js'
import {tagVersion} from '../oci/versions.js'
import {readUntrusted} from '../util/untrusted-file.js'
import {extensionDir} from './install.js'
import {MAX_MANIFEST_BYTES} from './local-catalog.js'
import type {LockedExtension} from './lockfile.js'

export interface RequiredRanges {
  dependencies: Record<string, string>
  optional: Record<string, string>
}

/**
 * The ranges an installed extension declares for its dependencies (the lock keeps only the
 * chosen versions), read from `extensions/{type}s/{name}/manifest.yaml` under the untrusted-file
 * rule. Undefined when that folder holds no readable manifest of exactly the locked name and
 * version (not installed yet, or edited): a view then shows the edge without its range.
 */
export async function installedRanges(workspace: string, entry: LockedExtension): Promise<RequiredRanges | undefined> {
  const read = await readUntrusted(path.join(extensionDir(workspace, entry.type, entry.name), MANIFEST_FILE), {max: MAX_MANIFEST_BYTES}).catch(() => undefined)
  if (read?.kind !== 'data') return undefined
  const {manifest} = parseManifestYaml(read.data.toString('utf8'))
  if (!manifest || manifest.name !== entry.name || tagVersion(String(manifest.version)) !== entry.version) return undefined
  return {dependencies: relationMap(manifest.dependencies), optional: relationMap(manifest.optional)}
}
