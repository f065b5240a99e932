/** `{{git.branch}}` / `{{git.commit}}` of a folder; empty strings when it is not a git repository. */
export async function readGitInfo(dir: string | undefined): Promise<{branch: string; commit: string}> {
  if (!dir) return {branch: '', commit: ''}
  const {execa} = await import('execa')
  const git = async (...args: string[]) => {
    const result = await execa('git', ['-C', dir, ...args], {reject: false, stdin: 'ignore'})
    return result.exitCode === 0 ? String(result.stdout).trim() : ''
  }
  const [branch, commit] = await Promise.all([git('symbolic-ref', '--short', '-q', 'HEAD'), git('rev-parse', 'HEAD')])
  return {branch, commit}
}
