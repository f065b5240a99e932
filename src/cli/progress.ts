import {formatBytes} from './format/oci.js'

/** Bytes of one blob on its way: `done` of `total` so far (a retry starts again at 0). */
export type ReportBytes = (label: string, done: number, total: number) => void

/** How often a byte count may redraw the progress line (a 1 MiB read can take < 1 ms). */
const BYTES_REDRAW_MS = 150

/**
 * Progress for long transfers: a listr2 task on stderr when stderr is a TTY and neither
 * --json nor --quiet is set (SPEC §3); otherwise plain lines on stderr with --verbose,
 * and no byte counts (one line per finished blob is what a log wants).
 */
export async function withProgress<T>(
  options: {interactive: boolean; verbose: boolean; title: string},
  work: (report: (line: string) => void, bytes: ReportBytes) => Promise<T>,
): Promise<T> {
  if (!options.interactive) {
    const report = options.verbose ? (line: string) => process.stderr.write(`${line}\n`) : () => {}
    return work(report, () => {})
  }
  const {DefaultRenderer, Listr, ListrLogger, ProcessOutput} = await import('listr2')
  /**
   * listr2 falls back to its line renderer (which writes to stdout) whenever stdout is not
   * a terminal, e.g. `X=$(provisioning oci push …)`. Whether to draw is decided above, by
   * stderr, where every line goes: so the renderer claims to work without a stdout TTY.
   */
  class StderrRenderer extends DefaultRenderer {
    static override nonTTY = true
  }
  let result: T | undefined
  const tasks = new Listr(
    [
      {
        title: options.title,
        rendererOptions: {outputBar: 1, persistentOutput: false},
        task: async (_ctx, task) => {
          const show = (line: string) => {
            task.output = line
          }
          result = await work(show, byteMeter(show))
        },
      },
    ],
    {
      exitOnError: true,
      registerSignalListeners: true,
      renderer: StderrRenderer,
      // The error is printed once, by the command (render-error.ts), not also under the task.
      rendererOptions: {showErrorMessage: false, logger: new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)})},
    },
  )
  await tasks.run()
  return result as T
}

/** `label  12.0 MiB / 50.0 MiB  8.1 MiB/s`, redrawn at most every BYTES_REDRAW_MS (and at the end). */
function byteMeter(show: (line: string) => void): ReportBytes {
  const started = new Map<string, number>()
  let drawn = 0
  return (label, done, total) => {
    const now = Date.now()
    if (done === 0 || !started.has(label)) started.set(label, now)
    if (done < total && now - drawn < BYTES_REDRAW_MS) return
    drawn = now
    const seconds = (now - (started.get(label) ?? now)) / 1000
    const rate = seconds > 0 ? `  ${formatBytes(Math.round(done / seconds))}/s` : ''
    show(`${label}  ${formatBytes(done)} / ${formatBytes(total)}${rate}`)
  }
}
