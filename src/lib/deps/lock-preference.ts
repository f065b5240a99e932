import type {Lockfile} from './lockfile.js'
import {resolve} from './resolver.js'
import type {Catalog, Resolution, RootRequirement} from './types.js'

export interface LockedResolution {
  resolution: Resolution
  /** Locked names decided afresh (highest allowed), with why. */
  redecided: Map<string, string>
}

/**
 * Resolves with the lock as a preference, the way Cargo treats Cargo.lock: a locked version
 * is kept only for a name whose own requirements are unchanged since the lock was written.
 * A name is decided afresh (highest allowed) when its declared range changed (the lock
 * records the declared ranges), or when an extension that was locked with it now puts
 * another range on it (because that extension was itself decided afresh, or moved). New
 * requirers (an extension added to the declaration) do not unlock anything: the solver keeps
 * a locked version while it still fits, so an unrelated change never upgrades anything.
 * Each round only adds names, so this ends after at most one round per locked name.
 */
export function resolveKeepingLock(input: {
  catalog: Catalog
  roots: RootRequirement[]
  coreVersion: string
  lock?: Lockfile
  update?: true | string[]
}): LockedResolution {
  const {catalog, roots, coreVersion, lock} = input
  const redecided = new Map<string, string>()
  if (!lock) return {resolution: resolve({catalog, roots, coreVersion}), redecided}
  if (input.update === true) {
    for (const e of lock.extensions) redecided.set(e.name, 'dep update')
    return {resolution: resolve({catalog, roots, coreVersion}), redecided}
  }
  const locked = new Map(lock.extensions.map((e) => [e.name, e.version]))
  const unlock = new Set(Array.isArray(input.update) ? input.update : [])
  for (const name of unlock) if (locked.has(name)) redecided.set(name, 'named in dep update')
  if (lock.declared) {
    for (const root of roots) {
      const before = Object.hasOwn(lock.declared, root.name) ? lock.declared[root.name] : undefined
      if (!locked.has(root.name) || before === root.range || unlock.has(root.name)) continue
      unlock.add(root.name)
      redecided.set(root.name, before === undefined ? `now declared as ${root.range}` : `declared range changed: ${before} -> ${root.range}`)
    }
  }
  const rangeOf = (name: string, version: string, dep: string): string | undefined => {
    const record = catalog.versions(name)?.find((c) => c.version === version)
    if (!record) return undefined
    return Object.hasOwn(record.dependencies, dep) ? record.dependencies[dep] : Object.hasOwn(record.optional, dep) ? record.optional[dep] : undefined
  }
  for (;;) {
    const resolution = resolve({catalog, roots, coreVersion, preferred: locked, unlock})
    let grown = false
    for (const [name, requirers] of resolution.requiredBy) {
      if (!locked.has(name) || unlock.has(name)) continue
      for (const requirer of requirers) {
        if (requirer.kind === 'root' || !requirer.fromVersion) continue
        const before = locked.get(requirer.from)
        if (before === undefined) continue
        const was = rangeOf(requirer.from, before, name)
        if (was === undefined || was === requirer.range) continue
        unlock.add(name)
        redecided.set(name, `${requirer.from} now requires ${requirer.range} (was ${was})`)
        grown = true
        break
      }
    }
    if (!grown) return {resolution, redecided}
  }
}
