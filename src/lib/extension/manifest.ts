import {parseDocument} from 'yaml'

import {YAML_MAX_ALIAS_COUNT} from '../util/yaml-limits.js'
import {type ExtensionManifest, parseManifest} from './manifest-schema.js'
import type {Problem} from './problems.js'

export * from './manifest-schema.js'

/**
 * Parses manifest.yaml text. Syntax errors (and duplicate keys) become problems with
 * line and column; a parseable document is then checked with validateManifest.
 */
export function parseManifestYaml(text: string): {manifest?: ExtensionManifest; data?: unknown; problems: Problem[]} {
  const document = parseDocument(text, {prettyErrors: true, uniqueKeys: true})
  if (document.errors.length > 0) {
    const problems: Problem[] = document.errors.map((error) => {
      const position = error.linePos?.[0]
      return {
        severity: 'error',
        field: 'manifest.yaml',
        message: `YAML syntax error: ${error.message.split('\n')[0]}`,
        hint: position ? `fix the YAML at line ${position.line}, column ${position.col}` : 'fix the YAML syntax',
        ...(position ? {line: position.line, column: position.col} : {}),
      }
    })
    return {problems}
  }
  let data: unknown
  try {
    data = document.toJS({maxAliasCount: YAML_MAX_ALIAS_COUNT})
  } catch (error) {
    // e.g. an alias explosion ("billion laughs") stopped by the yaml library.
    return {
      problems: [
        {
          severity: 'error',
          field: 'manifest.yaml',
          message: `cannot read the YAML: ${(error as Error).message}`,
          hint: 'simplify the document (no alias expansion)',
        },
      ],
    }
  }
  return {data, ...parseManifest(data)}
}
