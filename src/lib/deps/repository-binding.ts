import {ConfigError} from '../errors.js'
import {byPreference, IMPLICIT_REPOSITORY, type Repository, type RepositorySet} from '../repository/repository.js'
import type {Declaration, DeclaredRepositories} from './declaration.js'

/** Whether the declaration resolves from named repositories (a list or a pin); otherwise it is the implicit source alone, as before SPEC §13. */
export const usesRepositories = (declaration: Pick<Declaration, 'repositories' | 'modules'>): boolean =>
  declaration.repositories !== undefined || declaration.modules.some((m) => m.repository !== undefined)

/**
 * The repositories a declaration names, bound to their declarations: each must be declared
 * and visible to this user (a repository the user's repository_selector hides is not there for
 * them). Every problem is reported at once as one ConfigError (exit 3) naming its key.
 */
export function bindRepositories(declaration: Declaration, set: RepositorySet): DeclaredRepositories | undefined {
  if (!usesRepositories(declaration) || declaration.source.kind !== 'oci') return undefined
  const problems: string[] = []
  const named = new Map<string, Repository>()
  const tried = new Set<string>()
  const bind = (name: string, key: string) => {
    if (tried.has(name)) return
    tried.add(name)
    const visible = set.visible.find((r) => r.name === name)
    if (visible) return named.set(name, visible)
    if (set.all.some((r) => r.name === name)) {
      problems.push(
        `${key}: repository ${name} is hidden by your repository_selector "${set.selector?.text ?? ''}"; change repository_selector in config.user.toml so that it matches ${name}'s labels`,
      )
      return
    }
    const broken = set.problems.filter((p) => p.startsWith(`repositories.${name}:`))
    problems.push(
      broken.length > 0
        ? `${key}: repository ${name} is declared but invalid (${broken.join('; ')})`
        : `${key}: no repository named ${name} is declared; declare it under repositories.${name} (e.g. "provisioning repo add ${name} URL") or remove it`,
    )
  }
  const list = declaration.repositories ?? [IMPLICIT_REPOSITORY]
  list.forEach((name, index) => bind(name, declaration.repositories ? `dependencies.extensions.repositories[${index}]` : 'the implicit repository'))
  for (const m of declaration.modules) if (m.repository) bind(m.repository, `${m.declaredAt}.repository`)
  if (problems.length > 0) {
    throw new ConfigError(
      problems.length === 1
        ? problems[0]
        : `${problems.length} problems with the repositories the declaration names:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        hint: 'run "provisioning repo list" to see the repositories you can use',
        details: {problems},
      },
    )
  }
  return {searched: list.flatMap((name) => named.get(name) ?? []).sort(byPreference), named}
}

/**
 * The repository a locked or planned extension came from, for views and --json: its recorded
 * one, else the implicit `default` when the declaration uses repositories (a root's own
 * reference belongs to none); undefined without repositories, so older output is unchanged.
 */
export function repositoryOfEntry(declaration: Declaration, entry: {name: string; repository?: string}): string | undefined {
  if (entry.repository !== undefined || !declaration.sources) return entry.repository
  return declaration.modules.some((m) => m.name === entry.name && m.reference) ? undefined : IMPLICIT_REPOSITORY
}
