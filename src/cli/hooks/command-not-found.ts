import type {Hook} from '@oclif/core'

import {UsageError} from '../../lib/errors.js'
import {closestMatches} from '../../lib/util/closest.js'
import {renderErrorText, toErrorDocument} from '../render-error.js'

/**
 * An unknown command is a usage error (exit 2, SPEC §3) with the nearest commands as
 * suggestions: on stderr for people, as the error document under --json. It never asks
 * "run it instead?": a guessed command may change things, and a prompt would hang a
 * script that runs under a terminal with nobody at it.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const separator = options.config.topicSeparator
  const spoken = (id: string) => id.replaceAll(':', separator)
  const visible = options.config.commands.filter((command) => !command.hidden)
  const ids = [...visible.map((command) => command.id), ...visible.flatMap((command) => command.aliases)]
  const suggestions = closestMatches(options.id, ids).map(spoken)
  const typed = spoken(options.id)
  const topic = options.config.findTopic(options.id.split(':')[0]) ? ` ${options.id.split(':')[0]}` : ''
  const error = new UsageError(`"${typed}" is not a ${options.config.bin} command.${suggestions.length > 0 ? ` Did you mean "${suggestions[0]}"?` : ''}`, {
    hint: `run "${options.config.bin} help${topic}" for the list of commands`,
    details: {command: typed, suggestions},
  })
  const document = toErrorDocument(error)
  const argv = options.argv ?? []
  const end = argv.indexOf('--')
  if ((end < 0 ? argv : argv.slice(0, end)).includes('--json')) process.stdout.write(`${JSON.stringify({error: document}, null, 2)}\n`)
  else process.stderr.write(`${renderErrorText(document, error, false)}\n`)
  this.exit(document.exit)
}

export default hook
