import {COMPLETION_KINDS, type CompletionKind, completionCandidates} from '../lib/completion/candidates.js'
import {provisioningHome} from '../lib/util/home.js'

/**
 * `provisioning __complete KIND [--type T] [--workspace W]`: what the completion script
 * calls on <Tab>. bin/run.js routes here without loading oclif (it runs on every keypress).
 * Prints one candidate per line; prints nothing else, ever, and exits 0: a broken config
 * must not scribble on the user's command line.
 */
export async function runCompletion(argv: string[]): Promise<void> {
  try {
    const [kind, ...rest] = argv
    if (!COMPLETION_KINDS.includes(kind as CompletionKind)) return
    const option = (name: string) => {
      const at = rest.indexOf(name)
      return at >= 0 && rest[at + 1] ? rest[at + 1] : undefined
    }
    const names = await completionCandidates(kind as CompletionKind, {
      home: provisioningHome(process.env),
      env: process.env,
      cwd: process.cwd(),
      type: option('--type'),
      workspace: option('--workspace'),
    })
    if (names.length > 0) process.stdout.write(`${names.join('\n')}\n`)
  } catch {
    // Nothing to offer: the shell falls back to file names.
  }
}
