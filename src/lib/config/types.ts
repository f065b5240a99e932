import path from 'node:path'

import type {ConfigTable} from './source-file.js'

export type {ConfigTable} from './source-file.js'

/** The seven layers of SPEC §5.1, lowest priority first. */
export const LAYERS = ['defaults', 'mode', 'user', 'workspace', 'environment', 'infrastructure', 'runtime'] as const
export type LayerName = (typeof LAYERS)[number]

/** Where one value came from: a file (and line) or a runtime source (env var, flag). */
export interface Origin {
  layer: LayerName
  file?: string
  line?: number
  /** For runtime values: the environment variable or `--set key=value` that set it. */
  source?: string
}

/** One assignment of a leaf value; the last entry for a key is the effective one. */
export interface Assignment extends Origin {
  value: unknown
}

export type Severity = 'error' | 'warning'

export interface ConfigProblem {
  severity: Severity
  message: string
  key?: string
  file?: string
  line?: number
  column?: number
  hint?: string
}

export interface LayerReport {
  layer: LayerName
  /** The file of a file layer; absent for the runtime layer. */
  file?: string
  files?: string[]
  status: 'loaded' | 'missing' | 'error' | 'not-selected'
  /** Why a layer was not selected, or the parse error. */
  note?: string
  keys: number
}

export function isTable(value: unknown): value is ConfigTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

export type WorkspaceSource = 'flag' | 'env' | 'cwd' | 'active'

/** The workspace a run selected (found by workspace/discover.ts, above config). */
export interface WorkspaceRef {
  name: string
  path: string
  source: WorkspaceSource
}

export type ModeSource = 'override' | 'env' | 'file' | 'default'

/** The operational mode a run selected (found by mode/active.ts, above config). */
export interface ActiveMode {
  name: string
  source: ModeSource
  /** The file or variable that chose the mode. */
  origin: string
}

/** A workspace is a folder holding this file; it is also the workspace's config layer. */
export const workspaceConfigFile = (root: string) => path.join(root, 'config', 'provisioning.yaml')
