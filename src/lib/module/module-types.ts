import {UsageError} from '../errors.js'

export const MODULE_TYPES = ['provider', 'taskserv', 'cluster'] as const
export type ModuleType = (typeof MODULE_TYPES)[number]

/** `taskserv` or `taskservs` → `taskserv`. */
export function moduleType(value: string): ModuleType {
  const singular = value.replace(/s$/, '') as ModuleType
  if (!MODULE_TYPES.includes(singular)) throw new UsageError(`unknown extension type "${value}"`, {hint: `use one of: ${MODULE_TYPES.join(', ')}`})
  return singular
}
