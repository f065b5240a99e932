/**
 * JSON with object keys sorted at every level, so equal content gives equal bytes (artifact
 * configs, the lockfile's inputs digest). In util/ so that reading a lockfile does not load
 * the artifact builder and everything packaging needs.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    }
    return v
  })
}
