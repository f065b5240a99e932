/** One `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export interface Challenge {
  scheme: 'basic' | 'bearer'
  realm?: string
  service?: string
  scope?: string
  /** RFC 6750 error, e.g. `insufficient_scope`: authenticated, but not allowed to do this. */
  error?: string
}

// Quoted values may contain commas (scope="repository:a:pull,push"), so this is a small
// tokenizer rather than a split on ",".
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header)
  if (!match) return undefined
  const scheme = match[1].toLowerCase()
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined
  const params: Record<string, string> = {}
  const pattern = /([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g
  for (let m = pattern.exec(match[2]); m; m = pattern.exec(match[2])) {
    params[m[1].toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1')
  }
  return {scheme, realm: params.realm, service: params.service, scope: params.scope, error: params.error}
}

/** Scopes of the OCI token flow. */
export const scope = {
  pull: (repository: string) => `repository:${repository}:pull`,
  push: (repository: string) => `repository:${repository}:pull,push`,
  delete: (repository: string) => `repository:${repository}:delete`,
  catalog: () => 'registry:catalog:*',
}
