import {UsageError} from '../lib/errors.js'

/** True when a person can answer: stdin and stderr are terminals. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY)
}

/** Asks on stderr; `hidden` does not echo (passwords). Fails with a hint when there is no TTY. */
export async function ask(question: string, hint: string, hidden = false): Promise<string> {
  if (!canPrompt()) throw new UsageError(`cannot ask "${question.trim()}" without a terminal`, {hint})
  const {createInterface} = await import('node:readline')
  const rl = createInterface({input: process.stdin, output: process.stderr, terminal: true})
  if (hidden) {
    // Echo nothing while the answer is typed; the prompt itself is still shown.
    const output = rl as unknown as {_writeToOutput: (text: string) => void}
    output._writeToOutput = (text: string) => {
      if (text.includes(question)) process.stderr.write(question)
    }
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve))
  } finally {
    rl.close()
    if (hidden) process.stderr.write('\n')
  }
}

/** Reads all of stdin (e.g. --password-stdin), without the trailing newline. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}
