import {Session} from '../../lib/session/session.js'
import {printable} from '../printable.js'
import {writeStdout} from './stdout.js'

/** The session a command builds when no global flag is given (base-command.ts). */
export function defaultSession(): Session {
  return new Session({workspace: undefined, envName: undefined, infra: undefined, sets: []})
}

/** A human result as oclif's `this.log` prints it; nothing for an empty one (base-command.ts present). */
export function printText(text: string): void {
  if (text !== '') writeStdout(`${printable(text)}\n`)
}
