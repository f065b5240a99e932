import type {RepositoryMode} from './repository.js'
import type {TomlTable} from './toml-edit.js'

/** A repository as written in config: visibility is not written, it follows the file. */
export interface RepositoryDeclaration {
  url: string
  description?: string
  mode: RepositoryMode
  priority?: number
  labels: Record<string, string>
}

/** What a file says about one repository now (undefined: not declared there); returns what it should say (undefined: removed). */
export type DeclarationEdit = (current: Record<string, unknown> | undefined) => RepositoryDeclaration | undefined

/** The declaration's fields in the order they are written; no labels table when there are none. */
export function declarationTable(declaration: RepositoryDeclaration): TomlTable {
  return {
    url: declaration.url,
    ...(declaration.description === undefined ? {} : {description: declaration.description}),
    mode: declaration.mode,
    ...(declaration.priority === undefined ? {} : {priority: declaration.priority}),
    ...(Object.keys(declaration.labels).length > 0 ? {labels: declaration.labels} : {}),
  }
}

export const asTable = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
