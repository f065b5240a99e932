/**
 * Masks secrets in any text that may reach output: Authorization headers, basic-auth
 * userinfo in URLs, `password=`/`token=` pairs and JSON fields of those names.
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/(authorization\s*[:=]\s*)(bearer|basic)?\s*[^\s"',}]+/gi, '$1$2 ***'],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1***@'],
  [/((?:password|passwd|secret|token|api[_-]?key|auth)["']?\s*[:=]\s*["']?)[^\s"',}&]+/gi, '$1***'],
]

export function redact(text: string): string {
  return PATTERNS.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text)
}

const SECRET_KEY = /(^|[._-])(password|passwd|secret|token|api[_-]?key|private[_-]?key|credentials?)$/i

/** True for config keys whose values must never be shown (`oci.password`, `vars.api_token`). */
export function isSecretKey(keyPath: string): boolean {
  return SECRET_KEY.test(keyPath)
}
