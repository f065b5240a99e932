/**
 * Extension names (SPEC §8.1), in a module of their own: pulls check names they read
 * from artifacts without loading the manifest schema and its YAML parser.
 */
export const EXTENSION_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/

export function isExtensionName(value: unknown): value is string {
  return typeof value === 'string' && EXTENSION_NAME_PATTERN.test(value)
}
