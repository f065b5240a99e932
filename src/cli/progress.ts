/**
 * Progress for long transfers: a listr2 task on stderr when stderr is a TTY and neither
 * --json nor --quiet is set (SPEC §3); otherwise plain lines on stderr with --verbose.
 */
export async function withProgress<T>(options: {interactive: boolean; verbose: boolean; title: string}, work: (report: (line: string) => void) => Promise<T>): Promise<T> {
  if (!options.interactive) {
    const report = options.verbose ? (line: string) => process.stderr.write(`${line}\n`) : () => {}
    return work(report)
  }
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  let result: T | undefined
  const tasks = new Listr([{
    title: options.title,
    rendererOptions: {outputBar: 1, persistentOutput: false},
    task: async (_ctx, task) => {
      result = await work((line) => {
        task.output = line
      })
    },
  }], {
    exitOnError: true,
    registerSignalListeners: true,
    rendererOptions: {logger: new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)})},
  })
  await tasks.run()
  return result as T
}
