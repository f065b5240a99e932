import {type Assignment, type ConfigTable, isTable, type Origin} from './types.js'

/** Per-leaf history of assignments, keyed by dotted key path. */
export type OriginMap = Map<string, Assignment[]>

/**
 * Merges one layer into the accumulated config: tables merge key by key, arrays and
 * scalars replace. Every leaf written records its origin, so the history of a key
 * shows which layers it overrode.
 */
export function mergeLayer(target: ConfigTable, layer: ConfigTable, origin: (keyPath: string) => Origin, origins: OriginMap, prefix = ''): void {
  for (const [key, incoming] of Object.entries(layer)) {
    // YAML (and TOML) can yield an own `__proto__` key; assigning it would write into
    // Object.prototype. It is never a config key, so it is dropped.
    if (key === '__proto__') continue
    const keyPath = prefix ? `${prefix}.${key}` : key
    const current = target[key]
    if (isTable(incoming)) {
      if (!isTable(current)) {
        // A scalar replaced by a table keeps no history: `--origin` must never show a
        // value that is no longer part of the config.
        origins.delete(keyPath)
        target[key] = {}
      }
      mergeLayer(target[key] as ConfigTable, incoming, origin, origins, keyPath)
      continue
    }
    if (isTable(current)) dropSubtree(origins, keyPath)
    target[key] = cloneValue(incoming)
    const history = origins.get(keyPath) ?? []
    history.push({...origin(keyPath), value: cloneValue(incoming)})
    origins.set(keyPath, history)
  }
}

function dropSubtree(origins: OriginMap, keyPath: string): void {
  for (const key of origins.keys()) if (key.startsWith(`${keyPath}.`)) origins.delete(key)
}

function cloneValue<T>(value: T): T {
  return value instanceof Date ? value : structuredClone(value)
}

/** Reads a dotted key path from a table; `undefined` when any step is missing. */
export function getPath(table: ConfigTable, keyPath: string): unknown {
  if (keyPath === '') return table
  let node: unknown = table
  for (const part of keyPath.split('.')) {
    if (!isTable(node) || !Object.hasOwn(node, part)) return undefined
    node = node[part]
  }
  return node
}

/** Builds `{a: {b: value}}` from `a.b`. */
export function tableFromPath(keyPath: string[], value: unknown): ConfigTable {
  const root: ConfigTable = {}
  let node = root
  keyPath.forEach((part, index) => {
    if (index === keyPath.length - 1) node[part] = value
    else node = node[part] = {} as ConfigTable
  })
  return root
}

/** Every leaf (non-table value) with its dotted key path, in document order. */
export function* leaves(table: ConfigTable, prefix = ''): Generator<[string, unknown]> {
  for (const [key, value] of Object.entries(table)) {
    const keyPath = prefix ? `${prefix}.${key}` : key
    if (isTable(value)) yield* leaves(value, keyPath)
    else yield [keyPath, value]
  }
}
