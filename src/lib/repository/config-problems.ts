import type {LoadedConfig} from '../config/loader.js'
import type {ConfigProblem} from '../config/types.js'
import {repositoriesFrom} from './repository.js'

/** The key a declaration problem names first (`repositories.internal`, `repository_selector`). */
const PROBLEM_KEY = /^(repositories(?:\.[^:\s]+)?|repository_selector)\b/

/**
 * Repository declaration problems as `config validate` reports them: errors with their key
 * and where the key is set. Only the declared repositories are read here: the implicit one
 * is the extension source, which the dependency commands report on.
 */
export async function repositoryConfigProblems(loaded: LoadedConfig): Promise<ConfigProblem[]> {
  const {problems} = repositoriesFrom(loaded)
  return Promise.all(
    problems.map(async (message): Promise<ConfigProblem> => {
      const key = PROBLEM_KEY.exec(message)?.[1]
      const site = key ? ((await loaded.locate(`${key}.url`)) ?? (await loaded.locate(key))) : undefined
      const at = site ? /^(.*):(\d+)$/.exec(site) : undefined
      return {
        severity: 'error',
        message,
        ...(key ? {key} : {}),
        ...(at ? {file: at[1], line: Number(at[2])} : site ? {file: site} : {}),
        hint: 'fix the declaration ("provisioning repo show NAME" and the README section "Repositories" describe the fields)',
      }
    }),
  )
}
