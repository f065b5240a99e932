import path from 'node:path'

import type {LoadedConfig} from '../../config/loader.js'
import {declaredRepositories} from '../../deps/repositories.js'
import {ValidationError} from '../../errors.js'
import type {Repository} from '../../repository/repository.js'
import {registryKey} from '../credentials.js'
import {formatReference, type Location, type Reference} from '../reference.js'

/** A place in a store as one path: `host/namespace/name` for a registry, `layout:/dir/name` for a layout. */
function placeKey(location: Location, repository: string): string {
  if (location.kind === 'layout') return `layout:${path.resolve(location.root, ...repository.split('/').filter(Boolean))}`
  return repository ? `${registryKey(location.host)}/${repository}` : registryKey(location.host)
}

/**
 * The declared repository a reference belongs to: the longest namespace match of that
 * host (or layout folder). Among equally long ones a declared repository wins over the
 * implicit one, and `ro` over `rw` (the safer reading of a doubled declaration).
 */
function owningRepository(repositories: Repository[], ref: Reference): Repository | undefined {
  const target = placeKey(ref.location, ref.repository)
  const matches = repositories
    .map((repository) => ({repository, key: placeKey(repository.location, repository.namespace)}))
    .filter(({key}) => target === key || target.startsWith(`${key}/`))
  matches.sort(
    (a, b) =>
      b.key.length - a.key.length ||
      Number(a.repository.implicit) - Number(b.repository.implicit) ||
      Number(b.repository.mode === 'ro') - Number(a.repository.mode === 'ro'),
  )
  return matches[0]?.repository
}

/**
 * `ro` repositories refuse pushes (SPEC §13): push, copy (its destination), tag, delete and sign
 * call this before anything is sent. A broken declaration is left out of the set (its
 * problem is reported by the repo commands), so it never blocks a push by itself.
 */
export async function assertWritable(config: () => Promise<LoadedConfig>, ref: Reference, action: 'push' | 'copy' | 'tag' | 'delete' | 'sign'): Promise<void> {
  const owner = owningRepository(declaredRepositories(await config()).all, ref)
  if (owner?.mode !== 'ro') return
  throw new ValidationError(
    `${action} to ${formatReference(ref)} refused: it belongs to repository ${owner.name} (${owner.url}), which is read-only (mode ro, declared in ${owner.declaredIn})`,
    {
      hint: `if it should accept pushes: provisioning repo update ${owner.name} --mode rw`,
      details: {repository: owner.name, url: owner.url, mode: owner.mode, reference: formatReference(ref)},
    },
  )
}
