/**
 * Extension names and types (SPEC §8.1), in a module of their own: pulls and the resolver
 * check what they read from artifacts and lockfiles without loading the manifest schema
 * and its YAML parser.
 */
export const EXTENSION_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/

/**
 * A name becomes a folder (`.NAME.extract-…` while unpacking) and a repository path
 * component: bounded well below the 255 bytes a file name may have.
 */
export const EXTENSION_NAME_MAX_LENGTH = 128

export const EXTENSION_TYPES = ['provider', 'taskserv', 'cluster'] as const
export type ExtensionType = (typeof EXTENSION_TYPES)[number]

export function isExtensionName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= EXTENSION_NAME_MAX_LENGTH && EXTENSION_NAME_PATTERN.test(value)
}

export function isExtensionType(value: unknown): value is ExtensionType {
  return typeof value === 'string' && (EXTENSION_TYPES as readonly string[]).includes(value)
}
