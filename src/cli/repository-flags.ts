import {Flags} from '@oclif/core'

import type {RepositoryFields} from '../lib/oci/ops/repositories.js'

/** The declaration flags `repo add` and `repo update` share. */
export const repositoryFlags = {
  label: Flags.string({description: 'a label key=value (repeatable; selectors choose repositories by label)', multiple: true}),
  description: Flags.string({description: 'what the repository holds'}),
  visibility: Flags.string({
    description: 'public: in the workspace config, for everyone using it (default inside a workspace); private: in your config.user.toml (default outside one)',
    options: ['public', 'private'],
  }),
  mode: Flags.string({description: 'ro refuses pushes; rw allows them (default for a new repository: ro)', options: ['ro', 'rw']}),
  priority: Flags.integer({
    description:
      'lower is preferred (default 100; ties by name): an unpinned name comes wholly from the most preferred repository holding it, never a higher version from a less-preferred one (no dependency confusion); pin a module to use another',
    min: 0,
    max: 1_000_000,
  }),
  'insecure-skip-check': Flags.boolean({
    description: 'save without running the checks (the URL must still be well formed; the skipped checks are listed and recorded in the audit log)',
  }),
}

/** The flags as the library takes them. */
export function repositoryFields(flags: {
  label?: string[]
  description?: string
  visibility?: string
  mode?: string
  priority?: number
  'insecure-skip-check'?: boolean
}): RepositoryFields {
  return {
    labels: flags.label,
    description: flags.description,
    visibility: flags.visibility as RepositoryFields['visibility'],
    mode: flags.mode as RepositoryFields['mode'],
    priority: flags.priority,
    insecureSkipCheck: flags['insecure-skip-check'],
  }
}

/** The audit line of a save that skipped its checks says which. */
export function skipCheckAudit(result: {insecureSkipCheck?: {skipped: string[]}; file: string}): Record<string, unknown> {
  return {file: result.file, ...(result.insecureSkipCheck ? {insecureSkipCheck: true, skippedChecks: result.insecureSkipCheck.skipped} : {})}
}
