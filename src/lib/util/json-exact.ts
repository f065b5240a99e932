/** A plain object (what JSON.parse makes), not a class instance, array or null. */
export function isPlainTable(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/**
 * Whether JSON.stringify → JSON.parse gives the value back exactly: no NaN, ±Infinity or
 * -0 (they come back as null or 0), no dates, maps or class instances, no undefined, and
 * no cycles or shared objects (YAML aliases make both; JSON would recurse forever or copy).
 */
export function isJsonExact(value: unknown, seen = new Set<object>()): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (typeof value !== 'object') return false
  if (seen.has(value)) return false
  seen.add(value)
  if (Array.isArray(value)) return value.every((item) => isJsonExact(item, seen))
  // An own "__proto__" key is data to JSON.parse, but a trap for code that copies objects.
  return isPlainTable(value) && !Object.hasOwn(value, '__proto__') && Object.values(value).every((item) => isJsonExact(item, seen))
}
