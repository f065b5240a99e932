import {Command, Flags, type Interfaces} from '@oclif/core'

import {UsageError} from '../lib/errors.js'
import {Session} from '../lib/session/session.js'
import {provisioningHome} from '../lib/util/home.js'
import {ask, canPrompt, readStdin} from './prompt.js'
import {type ReportBytes, withProgress} from './progress.js'
import {auditRun, auditTargetOf} from './audit-run.js'
import {reportFailure, writePlainJson} from './render-error.js'
import {printable} from './printable.js'

export type InferredFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type InferredArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Every command extends this: it adds the global flags of SPEC §3, parses, and is the
 * one place where results become JSON and errors become messages and exit codes.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static enableJsonFlag = true
  /** Mutating commands set this: each run appends one line to the audit log (SPEC issue 5). */
  static audit = false

  static baseFlags = {
    workspace: Flags.string({char: 'w', description: 'workspace path or registered name', helpGroup: 'GLOBAL'}),
    env: Flags.string({description: 'environment layer to load (config/{env}-defaults.toml)', helpGroup: 'GLOBAL'}),
    infra: Flags.string({description: 'infrastructure layer to load (infra/{name}/config.toml)', helpGroup: 'GLOBAL'}),
    set: Flags.string({description: 'override a config value (key.path=value), repeatable', multiple: true, helpGroup: 'GLOBAL'}),
    quiet: Flags.boolean({char: 'q', description: 'print only results and errors', helpGroup: 'GLOBAL', exclusive: ['verbose']}),
    verbose: Flags.boolean({char: 'v', description: 'print details and stack traces', helpGroup: 'GLOBAL'}),
  }

  protected flags!: InferredFlags<T>
  protected args!: InferredArgs<T>
  /** Every positional argument, for commands that take a variable number (strict = false). */
  protected positionals: string[] = []

  public override async init(): Promise<void> {
    await super.init()
    const ctor = this.ctor as typeof BaseCommand
    const {args, argv, flags} = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    })
    this.flags = flags as InferredFlags<T>
    this.args = args as InferredArgs<T>
    this.positionals = argv as string[]
  }

  private runSession?: Session

  /** This run's workspace, mode and config, from the global flags: each loaded once, on first use. */
  protected session(): Session {
    const flags = this.flags as InferredFlags<typeof BaseCommand>
    this.runSession ??= new Session({workspace: flags.workspace, envName: flags.env, infra: flags.infra, sets: flags.set ?? []})
    return this.runSession
  }

  /** $PROVISIONING_HOME (SPEC §4). */
  protected get home(): string {
    return provisioningHome(process.env)
  }

  /** Prints the human rendering of a result unless --json (oclif prints the JSON). */
  protected async present<R>(result: R, human: (result: R) => string | Promise<string>): Promise<R> {
    if (!this.jsonEnabled()) {
      const text = await human(result)
      if (text !== '') this.log(printable(text))
    }
    return result
  }

  /**
   * The one JSON document on stdout (results and errors). oclif's own logJson runs the
   * text through a regex tokenizer to colour it even when nothing will be coloured:
   * 20-40x slower than JSON.stringify (seconds for a few MB of results). Colour is only
   * for a terminal without NO_COLOR (SPEC §3), so everything else gets the plain text.
   */
  protected override logJson(json: unknown): void {
    if (process.stdout.isTTY && !process.env.NO_COLOR) {
      super.logJson(json)
      return
    }
    writePlainJson(json)
  }

  /** A note for people on stderr; silent under --quiet. */
  protected note(message: string): void {
    if (!(this.flags as {quiet?: boolean} | undefined)?.quiet) process.stderr.write(`${printable(message)}\n`)
  }

  /** A problem that did not stop the command, on stderr (silent under --quiet). */
  protected noteWarning = (message: string): void => this.note(`warning: ${message}`)

  /** Runs a transfer with listr2 progress on a TTY, plain --verbose lines otherwise. */
  protected withTransfer<R>(title: string, work: (report: (line: string) => void, bytes: ReportBytes) => Promise<R>): Promise<R> {
    const quiet = Boolean((this.flags as {quiet?: boolean}).quiet)
    return withProgress({interactive: Boolean(process.stderr.isTTY) && !this.jsonEnabled() && !quiet && !process.env.CI, verbose: this.verbose, title}, work)
  }

  /** Confirms a destructive action: --yes skips the question; without a TTY --yes is required. */
  protected async confirm(question: string, yes: boolean | undefined): Promise<void> {
    if (yes) return
    if (!canPrompt() || this.jsonEnabled())
      throw new UsageError(`${question.replace(/\?$/, '')}: confirmation needed`, {hint: 'pass --yes to confirm (required without a terminal)'})
    const answer = await ask(`${question} [y/N] `, 'pass --yes')
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError('aborted', {hint: 'nothing was changed'})
  }

  protected ask(question: string, hidden = false): Promise<string> {
    return ask(question, hidden ? 'pipe the secret in with --password-stdin' : 'pass the value as a flag', hidden)
  }

  protected readStdin(): Promise<string> {
    return readStdin()
  }

  protected get verbose(): boolean {
    return Boolean((this.flags as {verbose?: boolean} | undefined)?.verbose) || this.argv.includes('--verbose') || this.argv.includes('-v')
  }

  /** Set by a command whose audit line must say more than its target (never secrets). */
  protected auditDetails?: Record<string, unknown>

  /** What the audit log names as the target; by default the positional arguments. */
  protected auditTarget(): string | undefined {
    const values = this.positionals.length > 0 ? this.positionals : Object.values((this.args ?? {}) as Record<string, unknown>)
    return auditTargetOf(values.filter((value): value is string => typeof value === 'string'))
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    await super.finally(error)
    if (!(this.ctor as typeof BaseCommand).audit || error?.constructor?.name === 'ExitError') return
    await auditRun(this.home, {
      command: (this.id ?? '').replaceAll(':', ' '),
      target: this.auditTarget(),
      workspace: (this.flags as {workspace?: string} | undefined)?.workspace,
      error,
      details: this.auditDetails,
    })
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<void> {
    // oclif's own exit() signal (e.g. --help inside a command) passes through untouched.
    if (error?.constructor?.name === 'ExitError') throw error
    reportFailure(error, {json: this.jsonEnabled(), verbose: this.verbose, writeJson: (json) => this.logJson(json)})
  }
}
