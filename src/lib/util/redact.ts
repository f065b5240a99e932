/**
 * Names whose values are secrets, as the end of a key (`PGPASSWORD`, `dbPassword`,
 * `db_password`, `AWS_SECRET_ACCESS_KEY`, `oci.auth`, `api-key`): one list for config keys
 * and for `name=value` pairs in free text. Only the end counts, so `password_file`,
 * `auth_token_path`, `token_ttl` and `author` are ordinary names.
 */
const SECRET_NAME = String.raw`(?:password|passwd|passphrase|secret|secret[_-]?key|secret[_-]?access[_-]?key|token|api[_-]?key|private[_-]?key|credentials?|auth)`

// Authorization has its own pattern in text (it keeps the scheme readable).
const SECRET_SEGMENT = new RegExp(`(?:${SECRET_NAME}|authorization)$`, 'i')

/**
 * Free text that may reach output (messages, hints, details, stack traces, config values).
 * Only what is shaped like a secret is masked, so that ordinary text survives: a reference
 * `auth:1.2.3` or an archive entry `"passwd": …` is not a `key: value` pair. Every pattern
 * starts at a literal word and scans one character class, so megabytes of text cost
 * milliseconds. Values stop before a backslash: redacting a JSON text keeps it JSON.
 */
const PATTERNS: Array<[RegExp, string]> = [
  // Authorization headers, in header, `key=value` and JSON form; the scheme stays readable.
  [/(authorization["']?\s*[:=]\s*["']?)(bearer\s+|basic\s+|token\s+)?[^\s"',}\\]+/gi, '$1$2***'],
  // userinfo of a URL: scheme://user:password@host
  [/(\/\/[^/\s:@]*:)[^@\s/]+@/g, '$1***@'],
  // JSON fields: "db_password": "…"
  [new RegExp(`(${SECRET_NAME}"\\s*:\\s*")[^"\\\\]*(?:\\\\.[^"\\\\]*)*`, 'gi'), '$1***'],
  // Quoted values, whole (spaces and commas included): password="a b", token: 'x,y'.
  [new RegExp(`(${SECRET_NAME}(?:\\s*=\\s*|:[ \\t]+)")[^"\\n]*`, 'gi'), '$1***'],
  [new RegExp(`(${SECRET_NAME}(?:\\s*=\\s*|:[ \\t]+)')[^'\\n]*`, 'gi'), '$1***'],
  // name=value (shell, query strings, --set): PGPASSWORD=…, ?token=…; a comma belongs to the
  // value (password=x,y), the next query parameter does not.
  [new RegExp(`(${SECRET_NAME}\\s*=\\s*)[^\\s"'&}\\\\]+`, 'gi'), '$1***'],
  // name: value (YAML, headers): the colon right after the name and a space after it; a
  // comma ends it (a YAML flow map: {password: x, user: u}).
  [new RegExp(`(${SECRET_NAME}:[ \\t]+)[^\\s"',&}\\\\]+`, 'gi'), '$1***'],
]

export function redact(text: string): string {
  return PATTERNS.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text)
}

/**
 * True for config keys whose values must never be shown: any level of the path may name
 * the secret (`oci.password`, `vars.api_token`, `oci.auth`, everything under `oci.auth.*`).
 */
export function isSecretKey(keyPath: string): boolean {
  return keyPath.split('.').some((segment) => SECRET_SEGMENT.test(segment))
}
