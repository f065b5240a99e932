/**
 * Path rules shared by packaging (what we agree to put in an archive) and extraction
 * (what we agree to take out of one). Both sides use the same rules, so anything we
 * package we can also extract. Paths here are POSIX, relative to the extension root.
 */

/** Splits into segments, dropping empty and `.` segments (`./a//b` -> [a, b]). */
function segmentsOf(value: string): string[] {
  return value.split('/').filter((segment) => segment !== '' && segment !== '.')
}

export type EntryPathResult = {ok: true; path: string} | {ok: false; reason: string}

/**
 * Longest name of one path segment (NAME_MAX of Linux file systems), and of a whole path
 * below the extension root, in UTF-8 bytes. Longer names cannot be created anyway (the
 * system call fails with ENAMETOOLONG); the root's own path plus 1024 stays far below
 * PATH_MAX (4096), and no extension needs deeper paths.
 */
export const MAX_SEGMENT_BYTES = 255
export const MAX_PATH_BYTES = 1024

/**
 * Canonical form of an archive entry path: `./kcl//x.k` -> `kcl/x.k`, `./` -> `` (the
 * root itself). Absolute paths, drive letters, NUL bytes and any `..` segment are refused
 * outright rather than "cleaned", since a legitimate archive never needs them.
 */
export function normalizeEntryPath(raw: string): EntryPathResult {
  if (raw.includes('\0')) return {ok: false, reason: 'contains a NUL byte'}
  if (raw.startsWith('/')) return {ok: false, reason: 'is an absolute path'}
  if (/^[A-Za-z]:/.test(raw) || raw.startsWith('\\')) return {ok: false, reason: 'is an absolute (drive or UNC) path'}
  const segments = segmentsOf(raw)
  if (segments.includes('..')) return {ok: false, reason: 'contains a ".." segment'}
  const canonical = segments.join('/')
  if (segments.some((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES))
    return {ok: false, reason: `has a name longer than ${MAX_SEGMENT_BYTES} bytes`}
  if (Buffer.byteLength(canonical) > MAX_PATH_BYTES) return {ok: false, reason: `is a path longer than ${MAX_PATH_BYTES} bytes`}
  return {ok: true, path: canonical}
}

/**
 * Why a symlink at `entryPath` (canonical, relative to the root) pointing to `target`
 * is unsafe, or undefined when it stays inside the root.
 *
 * The check is lexical, which is only sound if `..` can never climb out through another
 * symlink: with `c -> .`, the target `c/../x` looks inside but resolves to `../x`. So
 * `..` is allowed only as leading segments (`../templates/a`), where it walks up through
 * the entry's own parent folders, which extraction guarantees are real folders.
 */
export function linkTargetProblem(entryPath: string, target: string): string | undefined {
  if (target === '') return 'has an empty link target'
  if (target.includes('\0')) return 'has a link target with a NUL byte'
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target) || target.startsWith('\\')) {
    return `points to the absolute path "${target}"`
  }
  const segments = segmentsOf(target)
  const climbs = segments.findIndex((segment) => segment !== '..')
  const leadingUps = climbs === -1 ? segments.length : climbs
  if (segments.slice(leadingUps).includes('..')) {
    return `points to "${target}", which goes back up with ".." after descending`
  }
  const depth = segmentsOf(entryPath).length - 1
  if (leadingUps > depth) return `points to "${target}", outside the extension folder`
  return undefined
}

/** Every proper ancestor of a canonical path: `a/b/c` -> [a, a/b]. */
export function ancestorsOf(canonicalPath: string): string[] {
  const segments = canonicalPath.split('/')
  return segments.slice(0, -1).map((_, index) => segments.slice(0, index + 1).join('/'))
}
