/**
 * Alias expansions one YAML document may make when it becomes values (the yaml package's
 * `maxAliasCount`; named here so every reader of files states it). Anchors let a few
 * hundred bytes expand into gigabytes ("billion laughs"). Past the limit the package
 * throws a plain ReferenceError, which isAliasExpansionError recognizes.
 */
export const YAML_MAX_ALIAS_COUNT = 100

export function isAliasExpansionError(error: unknown): boolean {
  return error instanceof ReferenceError && /alias/i.test(error.message)
}
