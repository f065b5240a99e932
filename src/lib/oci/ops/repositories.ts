import path from 'node:path'

import type {LoadedConfig} from '../../config/loader.js'
import {displayFile, winningAssignment} from '../../config/locate.js'
import {getPath} from '../../config/merge.js'
import {type ConfigTable, isTable, workspaceConfigFile} from '../../config/types.js'
import {declaredRepositories} from '../../deps/repositories.js'
import {ConfigError, NotFoundError, ProvisioningError, UsageError} from '../../errors.js'
import {editRepositoryDeclaration} from '../../repository/config-edit.js'
import type {RepositoryDeclaration} from '../../repository/declaration.js'
import {type CheckName, type CheckResult, firstFailure, passed, type ProbeTarget, probeLayout, probeRegistry, skipped} from '../../repository/probe.js'
import {
  IMPLICIT_REPOSITORY,
  isLabelKey,
  isLabelValue,
  isRepositoryName,
  MAX_DESCRIPTION,
  MAX_LABELS,
  parseRepositoryUrl,
  type Repository,
  type RepositoryMode,
  type RepositorySet,
  type Visibility,
} from '../../repository/repository.js'
import {parseSelector, selectorMatches} from '../../repository/selector.js'
import {homePaths} from '../../util/home.js'
import {LAYOUT_SCHEME} from '../reference.js'
import type {OciStores} from '../stores.js'
import {type OciOperationOptions, withSession} from './session.js'

/** A repository as the `repo` commands show it: where it is declared, not how it is reached. */
export type RepositoryView = Omit<Repository, 'location' | 'namespace' | 'layer'> & {
  /** Hidden by the user's repository_selector (shown only with --all, or when named). */
  hidden: boolean
}

export interface RepositoryValidation {
  name: string
  url: string
  valid: boolean
  /** The exit code of the first failed check (0 when valid). */
  exit: number
  checks: CheckResult[]
}

export interface RepositoryListResult {
  repositories: RepositoryView[]
  selector?: string
  /** Declaration problems (the repositories they concern are left out). */
  problems: string[]
}

export interface RepositorySaveResult {
  action: 'added' | 'updated' | 'removed'
  name: string
  url?: string
  visibility: Visibility
  mode?: RepositoryMode
  /** The file edited, as people read it. */
  file: string
  checks: CheckResult[]
  /** Checks not run because of --insecure-skip-check (it skips them all; the URL must still be well formed). */
  insecureSkipCheck?: {skipped: CheckName[]}
}

export interface RepositoryFields {
  url?: string
  description?: string
  labels?: string[]
  removeLabels?: string[]
  visibility?: Visibility
  mode?: RepositoryMode
  priority?: number
  insecureSkipCheck?: boolean
}

/** Checks in the order they run: the worst failure of several repositories is the one earliest in it. */
const CHECK_ORDER: CheckName[] = ['url', 'reachable', 'api', 'credentials', 'folder', 'namespace', 'push', 'writable']
const SKIPPED_BY_FLAG: Record<'remote' | 'layout', CheckName[]> = {
  remote: ['reachable', 'api', 'credentials', 'namespace', 'push'],
  layout: ['folder', 'namespace', 'writable'],
}

function view(repository: Repository, set: RepositorySet): RepositoryView {
  const {location: _location, namespace: _namespace, layer: _layer, ...shown} = repository
  return {...shown, hidden: !set.visible.includes(repository)}
}

/** `repo list`: what the user's selector lets them see (and `--selector` narrows), or everything with `all`. */
export async function listRepositories(options: {config: () => Promise<LoadedConfig>; selector?: string; all?: boolean}): Promise<RepositoryListResult> {
  const set = declaredRepositories(await options.config())
  const narrow = options.selector === undefined ? undefined : parseSelector(options.selector)
  const shown = (options.all ? set.all : set.visible).filter((r) => !narrow || selectorMatches(narrow, r.labels))
  return {repositories: shown.map((r) => view(r, set)), ...(set.selector ? {selector: set.selector.text} : {}), problems: set.problems}
}

/** The repository NAME among all declared ones (a hidden one too: it was named). */
function find(set: RepositorySet, name: string): Repository {
  const found = set.all.find((r) => r.name === name)
  if (found) return found
  const problem = set.problems.find((p) => p.startsWith(`repositories.${name}:`) || p.startsWith(`repositories.${name}.`))
  if (problem) throw new ConfigError(problem, {hint: `fix repositories.${name} ("provisioning config validate" shows where)`, details: {repository: name}})
  throw new NotFoundError(`no repository "${name}" is declared`, {
    hint: `"provisioning repo list --all" lists the declared repositories; "provisioning repo add ${name} URL" declares one`,
    details: {repository: name},
  })
}

export async function showRepository(options: {config: () => Promise<LoadedConfig>; name: string}): Promise<RepositoryView & {problems: string[]}> {
  const set = declaredRepositories(await options.config())
  return {...view(find(set, options.name), set), problems: set.problems}
}

/** Runs every check that can run against one repository's store (none but the URL's with `skip`). */
async function checksOf(oci: OciStores, target: ProbeTarget & {url: string}, skip = false): Promise<CheckResult[]> {
  const {location} = target
  const url = passed('url', `${target.url} is a well-formed ${location.kind === 'layout' ? 'layout' : 'registry'} URL`)
  if (skip)
    return [
      url,
      ...SKIPPED_BY_FLAG[location.kind]
        .filter((c) => (target.mode === 'rw' && target.probeWrites !== false) || (c !== 'push' && c !== 'writable'))
        .map((c) => skipped(c, '--insecure-skip-check')),
    ]
  if (location.kind === 'layout') return [url, ...(await probeLayout(oci.store(location), target, location.root))]
  const store = oci.remote(location.host)
  try {
    return [url, ...(await probeRegistry(store, store.client, target, location.host))]
  } finally {
    await store.close()
  }
}

const listed = (checks: CheckResult[]) =>
  checks
    .filter((c) => c.status !== 'ok')
    // `credentials: …` would read as a secret to the redactor: the status sits between name and message.
    .map((c) => `  - ${c.check} (${c.status}): ${c.message}${c.fix ? `\n      fix: ${c.fix}` : ''}`)
    .join('\n')

function refusal(name: string, url: string, checks: CheckResult[], saving: boolean): ProvisioningError {
  const first = firstFailure(checks) as CheckResult
  const count = checks.filter((c) => c.status === 'failed').length
  return new ProvisioningError(
    first.code ?? 'E_VALIDATION',
    `repository ${name} (${url}) ${saving ? 'was not saved' : 'is not usable'}: ${count} check(s) failed\n${listed(checks)}`,
    {
      hint: saving
        ? `${first.fix ?? 'fix the checks listed'}; or save anyway with --insecure-skip-check (recorded in the audit log)`
        : (first.fix ?? 'fix the checks listed'),
      details: {repository: name, url, checks},
    },
  )
}

function parseLabels(flags: string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const flag of flags ?? []) {
    const eq = flag.indexOf('=')
    const [key, value] = eq < 0 ? [flag, undefined] : [flag.slice(0, eq), flag.slice(eq + 1)]
    if (value === undefined || !isLabelKey(key) || !isLabelValue(value))
      throw new UsageError(`invalid label ${JSON.stringify(flag)}`, {
        hint: 'a label is key=value: the key letters, digits, ".", "_", "-", "/" (at most 63), the value letters, digits, ".", "_", "-" (at most 63)',
        details: {label: flag},
      })
    labels[key] = value
  }
  return labels
}

function checkFields(fields: RepositoryFields, labels: Record<string, string>): void {
  if (fields.description !== undefined && fields.description.length > MAX_DESCRIPTION)
    throw new UsageError(`a description is at most ${MAX_DESCRIPTION} characters`, {hint: 'shorten --description'})
  if (Object.keys(labels).length > MAX_LABELS) throw new UsageError(`a repository has at most ${MAX_LABELS} labels`, {hint: 'use fewer --label flags'})
}

/**
 * The URL as the declaring file should say it: a relative layout path is the user's (from
 * the working folder) and is written relative to a workspace file (the workspace moves as
 * a whole), absolute in the user's own file.
 */
function urlForFile(url: string, loaded: LoadedConfig, file: string, visibility: Visibility): string {
  if (!url.startsWith(LAYOUT_SCHEME)) return url
  const dir = url.slice(LAYOUT_SCHEME.length)
  if (dir.startsWith('~') || dir === '') return url
  const absolute = path.resolve(loaded.cwd, dir)
  const relative = path.relative(path.dirname(file), absolute)
  const inWorkspace = loaded.workspace && !path.relative(loaded.workspace.path, absolute).startsWith('..')
  return `${LAYOUT_SCHEME}${visibility === 'public' && inWorkspace ? relative || '.' : absolute}`
}

/** The file a repository of this visibility is declared in. */
function fileFor(loaded: LoadedConfig, visibility: Visibility): string {
  if (visibility === 'private') return homePaths.userConfig(loaded.home)
  if (!loaded.workspace)
    throw new NotFoundError('a public repository is declared in a workspace, and no workspace is selected', {
      hint: 'run inside a workspace (or pass --workspace NAME), or declare it for yourself only with --visibility private',
    })
  return workspaceConfigFile(loaded.workspace.path)
}

const shownFile = (loaded: LoadedConfig, file: string) => displayFile(file, {workspace: loaded.workspace?.path, home: loaded.home})

/** Validates (unless told not to) and saves; a failed check saves nothing. */
async function validated(
  options: OciOperationOptions,
  target: {name: string; url: string; mode: RepositoryMode; baseDir: string},
  skip: boolean,
): Promise<{checks: CheckResult[]; skippedChecks?: CheckName[]}> {
  const {location, namespace} = parseRepositoryUrl(target.url, target.baseDir)
  const checks = await withSession({...options, workspaceSource: 'fallback'}, ({oci}) =>
    checksOf(oci, {location, namespace, mode: target.mode, url: target.url}, skip),
  )
  if (skip) return {checks, skippedChecks: checks.filter((c) => c.status !== 'ok').map((c) => c.check)}
  if (firstFailure(checks)) throw refusal(target.name, target.url, checks, true)
  return {checks}
}

/** `repo add NAME URL …`: validate, then declare it in the workspace config (public) or config.user.toml (private). */
export async function addRepository(
  options: OciOperationOptions & RepositoryFields & {name: string; url: string; guardWorkspace?: WorkspaceGuard},
): Promise<RepositorySaveResult> {
  const {name} = options
  if (!isRepositoryName(name))
    throw new UsageError(`invalid repository name ${JSON.stringify(name)}`, {
      hint: 'a repository name is lower-case letters, digits, "-" and "_" (at most 63, no dots)',
    })
  const loaded = await options.config()
  const set = declaredRepositories(loaded)
  const existing = set.all.find((r) => r.name === name) ?? (winningAssignment(loaded.origins, `repositories.${name}.url`) ? {declaredIn: 'config'} : undefined)
  if (existing || name === IMPLICIT_REPOSITORY) {
    throw new ConfigError(
      `repository ${name} already exists (${name === IMPLICIT_REPOSITORY ? "the workspace's dependencies.extensions.oci source" : `declared in ${existing?.declaredIn}`})`,
      {
        hint: name === IMPLICIT_REPOSITORY ? 'choose another name' : `change it with "provisioning repo update ${name} …", or choose another name`,
        details: {repository: name},
      },
    )
  }
  const labels = parseLabels(options.labels)
  checkFields(options, labels)
  const visibility = options.visibility ?? (loaded.workspace ? 'public' : 'private')
  const file = fileFor(loaded, visibility)
  const url = urlForFile(options.url, loaded, file, visibility)
  const mode = options.mode ?? 'ro'
  const {checks, skippedChecks} = await validated(options, {name, url, mode, baseDir: path.dirname(file)}, Boolean(options.insecureSkipCheck))
  const declaration: RepositoryDeclaration = {
    url,
    ...(options.description === undefined ? {} : {description: options.description}),
    mode,
    priority: options.priority,
    labels,
  }
  await editDeclaration(loaded, options.guardWorkspace, file, name, (current) => {
    if (current)
      throw new ConfigError(`repository ${name} already exists in ${shownFile(loaded, file)}`, {hint: `change it with "provisioning repo update ${name} …"`})
    return declaration
  })
  return {
    action: 'added',
    name,
    url,
    visibility,
    mode,
    file: shownFile(loaded, file),
    checks,
    ...(skippedChecks ? {insecureSkipCheck: {skipped: skippedChecks}} : {}),
  }
}

/**
 * The file `repo update/remove` edits: the one that set the repository's URL. The implicit
 * repository and those of the mode, defaults or runtime layers are not the CLI's to edit.
 */
function declaringFile(loaded: LoadedConfig, set: RepositorySet, name: string): {file: string; visibility: Visibility} {
  if (name === IMPLICIT_REPOSITORY) {
    throw new ConfigError(`repository ${IMPLICIT_REPOSITORY} is the workspace's own extension source and cannot be edited as a repository`, {
      hint: loaded.workspace
        ? 'edit dependencies.extensions.oci in config/provisioning.yaml (registry, namespace)'
        : 'set oci.registry and oci.namespace ("provisioning config set" or config.user.toml)',
    })
  }
  const site = winningAssignment(loaded.origins, `repositories.${name}.url`)?.assignment
  if (!site) find(set, name)
  const layer = site?.layer
  if (!site?.file || layer === 'mode' || layer === 'defaults') {
    const where = site?.file ? `the ${layer} layer (${shownFile(loaded, site.file)})` : `${site?.source ?? layer}`
    throw new ConfigError(`repository ${name} is declared by ${where}, which repo commands do not edit`, {
      hint:
        layer === 'mode' || layer === 'defaults'
          ? `declare a repository of your own with "provisioning repo add", or change the ${layer} files`
          : `change ${site?.source ?? 'that setting'} instead`,
      details: {repository: name, layer},
    })
  }
  return {file: site.file, visibility: layer === 'user' ? 'private' : 'public'}
}

const stringOr = (value: unknown, fallback?: string) => (typeof value === 'string' ? value : fallback)

/** `repo update NAME …`: changes the declaration where it is declared; a new URL or mode is validated first. */
export async function updateRepository(
  options: OciOperationOptions & RepositoryFields & {name: string; guardWorkspace?: WorkspaceGuard},
): Promise<RepositorySaveResult> {
  const {name} = options
  const loaded = await options.config()
  const set = declaredRepositories(loaded)
  const {file, visibility} = declaringFile(loaded, set, name)
  if (options.visibility !== undefined && options.visibility !== visibility) {
    throw new UsageError(`repository ${name} is ${visibility} (declared in ${shownFile(loaded, file)}); update does not move it`, {
      hint: `remove it and add it again: provisioning repo remove ${name} && provisioning repo add ${name} URL --visibility ${options.visibility}`,
    })
  }
  const added = parseLabels(options.labels)
  const current = set.all.find((r) => r.name === name)
  const url = options.url === undefined ? undefined : urlForFile(options.url, loaded, file, visibility)
  const mode = options.mode ?? current?.mode ?? 'ro'
  const revalidate = url !== undefined || (options.mode !== undefined && options.mode !== current?.mode)
  const checkUrl = url ?? current?.url
  const result =
    revalidate && checkUrl
      ? await validated(options, {name, url: checkUrl, mode, baseDir: path.dirname(file)}, Boolean(options.insecureSkipCheck))
      : {checks: []}
  let saved: RepositoryDeclaration | undefined
  await editDeclaration(loaded, options.guardWorkspace, file, name, (before) => {
    if (!before) throw new ConfigError(`repositories.${name} is not written in ${shownFile(loaded, file)} as a table`, {hint: `edit it there by hand`})
    const labels: Record<string, string> = {...(before.labels as Record<string, string> | undefined), ...added}
    for (const key of options.removeLabels ?? []) delete labels[key]
    checkFields(options, labels)
    const priority = options.priority ?? (typeof before.priority === 'number' ? before.priority : undefined)
    const description = options.description ?? stringOr(before.description)
    saved = {
      url: url ?? stringOr(before.url, current?.url ?? '') ?? '',
      ...(description === undefined ? {} : {description}),
      mode: options.mode ?? (before.mode === 'rw' ? 'rw' : 'ro'),
      ...(priority === undefined ? {} : {priority}),
      labels,
    }
    return saved
  })
  return {
    action: 'updated',
    name,
    url: saved?.url,
    visibility,
    mode: saved?.mode,
    file: shownFile(loaded, file),
    checks: result.checks,
    ...('skippedChecks' in result && result.skippedChecks ? {insecureSkipCheck: {skipped: result.skippedChecks}} : {}),
  }
}

/** `repo remove NAME`: deletes the declaration from the file that holds it. */
export async function removeRepository(options: {
  config: () => Promise<LoadedConfig>
  name: string
  guardWorkspace?: WorkspaceGuard
}): Promise<RepositorySaveResult> {
  const loaded = await options.config()
  const set = declaredRepositories(loaded)
  const {file, visibility} = declaringFile(loaded, set, options.name)
  const referencedAt = declarationReferences(loaded.values, options.name)
  if (referencedAt.length > 0) {
    throw new ConfigError(`repository ${options.name} is still used by the workspace's dependency declaration: ${referencedAt.join(', ')}`, {
      hint: `remove ${options.name} from ${referencedAt.join(' and ')} first (otherwise the next dep resolve stops with exit 3), then run repo remove again`,
      details: {repository: options.name, referencedAt},
    })
  }
  await editDeclaration(loaded, options.guardWorkspace, file, options.name, (before) => {
    if (!before) throw new ConfigError(`repositories.${options.name} is not written in ${shownFile(loaded, file)} as a table`, {hint: 'edit it there by hand'})
    return undefined
  })
  return {action: 'removed', name: options.name, visibility, file: shownFile(loaded, file), checks: []}
}

/** Checks the workspace lock (Session.assertWorkspaceWritable) before a public declaration is edited. */
export type WorkspaceGuard = (doing: string) => Promise<void>

/** Edits a declaration, first asking the workspace lock when the file is the workspace's own. */
async function editDeclaration(
  loaded: LoadedConfig,
  guard: WorkspaceGuard | undefined,
  file: string,
  name: string,
  edit: Parameters<typeof editRepositoryDeclaration>[2],
): Promise<void> {
  if (loaded.workspace && file === workspaceConfigFile(loaded.workspace.path)) await guard?.(`change repository ${name}`)
  await editRepositoryDeclaration(file, name, edit)
}

/** The keys of `dependencies.extensions` naming a repository: its `repositories` list and module pins. */
function declarationReferences(values: ConfigTable, name: string): string[] {
  const at: string[] = []
  const listed = getPath(values, 'dependencies.extensions.repositories')
  if (Array.isArray(listed) && listed.includes(name)) at.push('dependencies.extensions.repositories')
  const groups = getPath(values, 'dependencies.extensions.modules')
  for (const [group, modules] of Object.entries(isTable(groups) ? groups : {}))
    if (Array.isArray(modules))
      modules.forEach((item, index) => {
        if (isTable(item) && item.repository === name) at.push(`dependencies.extensions.modules.${group}[${index}]`)
      })
  return at
}

/**
 * `repo validate [NAME]`: the checks of `repo add` against one repository or every visible
 * one. Fails (listing every repository's checks) with the exit code of the worst failure:
 * the one earliest in check order (an unreachable registry is worse than a wrong namespace).
 */
export async function validateRepositories(
  options: OciOperationOptions & {name?: string},
): Promise<{repositories: RepositoryValidation[]; problems: string[]}> {
  const set = declaredRepositories(await options.config())
  const targets = options.name === undefined ? set.visible : [find(set, options.name)]
  const repositories = await withSession({...options, workspaceSource: 'fallback'}, async ({oci}) => {
    const results: RepositoryValidation[] = []
    for (const repository of targets) {
      const checks = await checksOf(oci, repository.implicit ? {...repository, probeWrites: false} : repository)
      const failure = firstFailure(checks)
      results.push({name: repository.name, url: repository.url, valid: !failure, exit: failure?.exit ?? 0, checks})
    }
    return results
  })
  const rank = (r: RepositoryValidation) => CHECK_ORDER.indexOf(firstFailure(r.checks)?.check ?? 'url')
  const worst = repositories.filter((r) => !r.valid).sort((a, b) => rank(a) - rank(b))[0]
  if (worst) {
    const bad = repositories.filter((r) => !r.valid)
    const first = firstFailure(worst.checks) as CheckResult
    throw new ProvisioningError(
      first.code ?? 'E_VALIDATION',
      `${bad.length} of ${repositories.length} repositor${repositories.length === 1 ? 'y' : 'ies'} failed validation:\n${bad.map((r) => `${r.name} (${r.url}):\n${listed(r.checks)}`).join('\n')}`,
      {hint: first.fix ?? 'fix the checks listed', details: {repositories, problems: set.problems}},
    )
  }
  return {repositories, problems: set.problems}
}
