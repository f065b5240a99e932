import type {ExtensionType} from '../extension/names.js'

/** One published version of an extension, as the resolver sees it (from its config blob). */
export interface CandidateVersion {
  name: string
  /** Normalized semver (a leading `v` of the tag removed). */
  version: string
  /** The tag it was published under (`1.28.0` or `v1.28.0`). */
  tag: string
  type?: ExtensionType
  dependencies: Record<string, string>
  optional: Record<string, string>
  conflicts: Record<string, string>
  minProvisioningVersion?: string
  /** The repository that provides this version when the workspace resolves from repositories (SPEC §13). */
  repository?: string
}

/** Everything the resolver may choose from, fetched beforehand (resolution is synchronous). */
export interface Catalog {
  /** All versions of a name, any order; `undefined` when no such extension exists. */
  versions(name: string): readonly CandidateVersion[] | undefined
  /**
   * Where a name was looked for, for "no extension named X exists in …": `the registry
   * (looked for host/ns/x)` or `the local source /path`; `repository` goes to --json.
   */
  whereIs?(name: string): {text: string; repository?: string}
  /**
   * With repositories: the versions of a name each repository holding it offers, in preference
   * order, `used` for the one that supplies the name (explanations only).
   */
  offers?(name: string): Array<{repository: string; versions: string[]; used: boolean}>
  /** With repositories: the less-preferred repositories that hold the name too (not used). */
  alsoIn?(name: string, version: string): string[]
}

/** A requirement of the workspace itself. */
export interface RootRequirement {
  name: string
  range: string
  /** Where it is declared, for explanations (`dependencies.extensions.modules.taskservs[1]`). */
  source: string
  /** The declaring file and line, relative to the workspace (`config/provisioning.yaml:12`), when known. */
  location?: string
}

export interface ResolveInput {
  roots: RootRequirement[]
  catalog: Catalog
  /** The core version `min_provisioning_version` is checked against. */
  coreVersion: string
  /** Versions to prefer when they still satisfy every constraint (the lockfile's). */
  preferred?: ReadonlyMap<string, string>
  /** Resolve these names as if no preference existed (`dep update NAME`). */
  unlock?: ReadonlySet<string>
  /**
   * How much search a resolution may spend (conflicts learned, wall-clock ms) before it stops
   * with ResolutionLimitError (E_RESOLUTION_LIMIT): never presented as unsatisfiable.
   */
  limits?: {conflicts?: number; milliseconds?: number}
}

export interface Requirer {
  /** `workspace` or the requiring extension's name. */
  from: string
  fromVersion?: string
  range: string
  kind: 'hard' | 'optional' | 'root'
}

export interface Resolution {
  /** Chosen versions by name, sorted by name. */
  selected: Map<string, CandidateVersion>
  /** Who required each selected name, and with which range. */
  requiredBy: Map<string, Requirer[]>
  /** Install order: dependencies (and present optional dependencies) first, ties by name. */
  order: string[]
}
