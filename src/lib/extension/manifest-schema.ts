/*
 * The manifest schema without a YAML parser: what arrives as JSON (config blobs) is checked
 * here without loading `yaml` (a locked `dep resolve` loads no parser at all).
 */
import semver from 'semver'

import {closestMatch} from '../util/closest.js'
import {MAX_NESTING_DEPTH, nestingProblem, shortKeyPath} from '../util/nesting.js'
import {EXTENSION_NAME_MAX_LENGTH, EXTENSION_NAME_PATTERN, EXTENSION_TYPES, type ExtensionType} from './names.js'
import {hasErrors, type Problem} from './problems.js'

export {EXTENSION_NAME_PATTERN, EXTENSION_TYPES, type ExtensionType} from './names.js'

/** `os/arch`, optionally with a variant (`linux/arm/v7`), as in OCI image indexes. */
export const PLATFORM_PATTERN = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/

/** `optional` and `conflicts` accept a map name -> range or a plain list of names. */
export type RelationSpec = Record<string, string> | string[]

export interface ExtensionManifest {
  name: string
  type: ExtensionType
  version: string
  description?: string
  author?: string
  license?: string
  homepage?: string
  repository?: string
  /** Hard requirements: name -> semver range. */
  dependencies?: Record<string, string>
  /** Soft requirements: honoured only when something else brings them in. */
  optional?: RelationSpec
  conflicts?: RelationSpec
  tags?: string[]
  platforms?: string[]
  min_provisioning_version?: string
}

/**
 * The canonical form stored in the OCI config blob: relation lists become maps with the
 * range `*`, the three relation maps are always present, and every object's keys are
 * sorted, so equal manifests serialize to equal bytes.
 */
export interface NormalizedManifest extends Omit<ExtensionManifest, 'dependencies' | 'optional' | 'conflicts'> {
  dependencies: Record<string, string>
  optional: Record<string, string>
  conflicts: Record<string, string>
  [unknownField: string]: unknown
}

const TEXT_FIELDS = ['description', 'author', 'license', 'homepage', 'repository'] as const
const RELATION_FIELDS = ['dependencies', 'optional', 'conflicts'] as const
/** Names one relation field may list: real manifests list a handful. */
export const MAX_RELATION_ENTRIES = 1000
type RelationField = (typeof RELATION_FIELDS)[number]

export const KNOWN_MANIFEST_FIELDS: readonly string[] = [
  'name',
  'type',
  'version',
  ...TEXT_FIELDS,
  ...RELATION_FIELDS,
  'tags',
  'platforms',
  'min_provisioning_version',
]

type Table = Record<string, unknown>

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/** How a wrong value is described in messages: `number 1.28`, `list`, `map`. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (isTable(value)) return 'a map'
  if (typeof value === 'string') return `"${value}"`
  return `${typeof value} ${String(value)}`
}

class ProblemList {
  readonly items: Problem[] = []
  error(field: string, message: string, hint: string): void {
    this.items.push({severity: 'error', field, message, hint})
  }
  warning(field: string, message: string, hint: string, extra: Pick<Problem, 'suggestion'> = {}): void {
    this.items.push({severity: 'warning', field, message, hint, ...extra})
  }
}

function checkName(problems: ProblemList, field: string, value: unknown, what: string): value is string {
  if (typeof value !== 'string') {
    problems.error(field, `${what} must be a string, got ${describe(value)}`, 'use a lowercase name such as "kubernetes"')
    return false
  }
  if (value.length > EXTENSION_NAME_MAX_LENGTH) {
    problems.error(field, `${what} is ${value.length} characters long (at most ${EXTENSION_NAME_MAX_LENGTH})`, 'use a shorter name')
    return false
  }
  if (!EXTENSION_NAME_PATTERN.test(value)) {
    problems.error(
      field,
      `${what} "${value}" is not a valid extension name`,
      'names start with a lowercase letter or digit and contain only a-z, 0-9, ".", "_" and "-"',
    )
    return false
  }
  return true
}

/** A manifest version is exact semver as written (a tag is derived from it). */
function checkVersion(problems: ProblemList, field: string, value: unknown): void {
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' ? `quote it: ${field}: "${value}.0"` : 'write a semantic version such as "1.2.3"'
    problems.error(field, `${field} must be a semver string, got ${describe(value)}`, hint)
    return
  }
  if (/^[vV]/.test(value)) {
    problems.error(field, `${field} "${value}" must not start with "v"`, `write ${field}: "${value.slice(1)}" (a leading v is accepted only in tags)`)
    return
  }
  if (value.includes('+')) {
    problems.error(field, `${field} "${value}" carries build metadata`, `drop the "+…" part: OCI tags cannot contain "+"`)
    return
  }
  if (semver.valid(value) !== value) {
    problems.error(field, `${field} "${value}" is not a valid semantic version`, 'use MAJOR.MINOR.PATCH, e.g. "1.28.0" or "2.0.0-rc.1"')
  }
}

function checkRange(problems: ProblemList, field: string, value: unknown): void {
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' ? `quote it: "${value}" or better "^${value}"` : 'write a semver range such as ">=1.7.0" or "^3.5"'
    problems.error(field, `${field} must be a semver range string, got ${describe(value)}`, hint)
    return
  }
  if (value.trim() === '') {
    problems.error(field, `${field} is an empty range`, 'write "*" to accept any version')
    return
  }
  if (semver.validRange(value) === null) {
    problems.error(field, `${field} "${value}" is not a valid semver range`, 'use node-semver syntax: ">=1.7.0", "^1.2", "~1.2.3", "1.x", ">=1 <2 || 3.x", "*"')
  }
}

/** Checks one relation field and returns the names it mentions (for cross-field checks). */
function checkRelation(problems: ProblemList, field: RelationField, value: unknown): string[] {
  if (value === undefined || value === null) return []
  const listAllowed = field !== 'dependencies'
  const count = Array.isArray(value) ? value.length : isTable(value) ? Object.keys(value).length : 0
  if (count > MAX_RELATION_ENTRIES) {
    // Config blobs come from registries: thousands of names are an attack on the resolver, not a manifest.
    problems.error(field, `${field} lists ${count} extensions (at most ${MAX_RELATION_ENTRIES})`, 'split the extension; no real extension needs this many')
    return []
  }
  if (Array.isArray(value) && listAllowed) {
    const names = new Set<string>()
    value.forEach((item, index) => {
      if (checkName(problems, `${field}[${index}]`, item, `${field}[${index}]`)) {
        if (names.has(item)) problems.warning(`${field}[${index}]`, `"${item}" is listed twice in ${field}`, 'remove the duplicate')
        else names.add(item)
      }
    })
    return [...names]
  }
  if (!isTable(value)) {
    const shape = listAllowed ? 'a map of name: range, or a list of names' : 'a map of name: range'
    problems.error(field, `${field} must be ${shape}, got ${describe(value)}`, `e.g.\n${field}:\n  containerd: ">=1.7.0"`)
    return []
  }
  for (const [name, range] of Object.entries(value)) {
    checkName(problems, `${field}.${name}`, name, `${field} key`)
    checkRange(problems, `${field}.${name}`, range)
  }
  return Object.keys(value)
}

function checkStringList(problems: ProblemList, field: string, value: unknown, itemCheck?: (item: string, itemField: string) => void): void {
  if (value === undefined || value === null) return
  if (!Array.isArray(value)) {
    problems.error(field, `${field} must be a list of strings, got ${describe(value)}`, `e.g.\n${field}:\n  - first\n  - second`)
    return
  }
  value.forEach((item, index) => {
    const itemField = `${field}[${index}]`
    if (typeof item !== 'string' || item === '') {
      problems.error(itemField, `${itemField} must be a non-empty string, got ${describe(item)}`, 'quote the value')
    } else {
      itemCheck?.(item, itemField)
    }
  })
}

function checkRelationOverlaps(problems: ProblemList, name: unknown, relations: Record<RelationField, string[]>): void {
  for (const field of RELATION_FIELDS) {
    if (typeof name === 'string' && relations[field].includes(name)) {
      problems.error(`${field}.${name}`, `the extension "${name}" lists itself in ${field}`, `remove "${name}" from ${field}`)
    }
  }
  const sets = Object.fromEntries(RELATION_FIELDS.map((field) => [field, new Set(relations[field])])) as Record<RelationField, Set<string>>
  const overlap = (a: RelationField, b: RelationField) => relations[a].filter((item) => sets[b].has(item) && item !== name)
  for (const dep of overlap('dependencies', 'conflicts')) {
    problems.error(`conflicts.${dep}`, `"${dep}" is both a dependency and a conflict`, `keep "${dep}" in only one of dependencies and conflicts`)
  }
  for (const dep of overlap('dependencies', 'optional')) {
    problems.warning(`optional.${dep}`, `"${dep}" is both a hard dependency and optional; the hard dependency wins`, `remove "${dep}" from optional`)
  }
  for (const dep of overlap('optional', 'conflicts')) {
    problems.warning(`conflicts.${dep}`, `"${dep}" is both optional and a conflict`, `keep "${dep}" in only one of optional and conflicts`)
  }
}

/**
 * Checks every field of a parsed manifest and returns all problems at once (never
 * throws). Unknown top-level fields are warnings, so newer manifests still load.
 */
export function validateManifest(data: unknown): Problem[] {
  const problems = new ProblemList()
  if (!isTable(data)) {
    problems.error('manifest', `manifest.yaml must be a map of fields, got ${describe(data)}`, 'start from `provisioning generate extension TYPE NAME`')
    return problems.items
  }
  // Unknown fields are kept and walked recursively (sorted keys, canonical JSON), whether
  // they came from manifest.yaml or from a registry's config blob.
  const nesting = nestingProblem(data)
  if (nesting) {
    const at = shortKeyPath(nesting.path)
    const message =
      nesting.kind === 'cycle'
        ? `the value of ${at} contains itself (a YAML alias to one of its parents)`
        : `values nest more than ${MAX_NESTING_DEPTH} levels deep (at ${at})`
    problems.error('manifest', message, 'simplify the document: a manifest needs a few levels at most')
    return problems.items
  }

  if (data.name === undefined || data.name === null) problems.error('name', 'name is required', 'add e.g. `name: redis`')
  else checkName(problems, 'name', data.name, 'name')

  if (data.type === undefined || data.type === null) {
    problems.error('type', 'type is required', `add one of: type: ${EXTENSION_TYPES.join(' | ')}`)
  } else if (typeof data.type !== 'string' || !(EXTENSION_TYPES as readonly string[]).includes(data.type)) {
    const singular = typeof data.type === 'string' ? data.type.replace(/s$/, '') : ''
    const hint = (EXTENSION_TYPES as readonly string[]).includes(singular) ? `use the singular: type: ${singular}` : `use one of: ${EXTENSION_TYPES.join(', ')}`
    problems.error('type', `type must be one of ${EXTENSION_TYPES.join(', ')}, got ${describe(data.type)}`, hint)
  }

  if (data.version === undefined || data.version === null) problems.error('version', 'version is required', 'add e.g. `version: "1.0.0"`')
  else checkVersion(problems, 'version', data.version)

  for (const field of TEXT_FIELDS) {
    const value = data[field]
    if (value !== undefined && value !== null && typeof value !== 'string') {
      problems.error(field, `${field} must be a string, got ${describe(value)}`, 'quote the value')
    }
  }

  const relations = {} as Record<RelationField, string[]>
  for (const field of RELATION_FIELDS) relations[field] = checkRelation(problems, field, data[field])
  checkRelationOverlaps(problems, data.name, relations)

  checkStringList(problems, 'tags', data.tags)
  checkStringList(problems, 'platforms', data.platforms, (item, itemField) => {
    if (!PLATFORM_PATTERN.test(item)) {
      problems.error(itemField, `${itemField} "${item}" is not an os/arch platform`, 'write platforms as os/arch, e.g. linux/amd64 or linux/arm64')
    }
  })

  if (data.min_provisioning_version !== undefined && data.min_provisioning_version !== null) {
    checkVersion(problems, 'min_provisioning_version', data.min_provisioning_version)
  }

  for (const field of Object.keys(data)) {
    if (KNOWN_MANIFEST_FIELDS.includes(field)) continue
    const suggestion = closestMatch(field, KNOWN_MANIFEST_FIELDS)
    if (suggestion) problems.warning(field, `unknown field "${field}" is ignored`, `did you mean ${suggestion}?`, {suggestion})
    else problems.warning(field, `unknown field "${field}" is ignored`, `known fields: ${KNOWN_MANIFEST_FIELDS.join(', ')}`)
  }
  return problems.items
}

/** Validates `data` and returns it typed when it has no errors. */
export function parseManifest(data: unknown): {manifest?: ExtensionManifest; problems: Problem[]} {
  const problems = validateManifest(data)
  return hasErrors(problems) ? {problems} : {manifest: data as ExtensionManifest, problems}
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep)
  if (!isTable(value)) return value
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeysDeep(value[key])]),
  )
}

/** A relation as a map name -> range (a list of names means any version of each). */
export function relationMap(spec: RelationSpec | undefined | null): Record<string, string> {
  if (!spec) return {}
  return Array.isArray(spec) ? Object.fromEntries(spec.map((name) => [name, '*'])) : {...spec}
}

/**
 * The canonical manifest for the OCI config blob and for resolvers: list-form relations
 * become maps with range `*`, absent relations become `{}`, null fields are dropped and
 * keys are sorted at every level. Unknown fields are kept (forward compatibility).
 */
export function normalizeManifest(manifest: ExtensionManifest): NormalizedManifest {
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(manifest)) if (value !== null && value !== undefined) copy[key] = value
  copy.dependencies = relationMap(manifest.dependencies)
  copy.optional = relationMap(manifest.optional)
  copy.conflicts = relationMap(manifest.conflicts)
  return sortKeysDeep(copy) as NormalizedManifest
}
