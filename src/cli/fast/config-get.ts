import {getConfigValue} from '../../lib/config/query.js'
import {scalar} from '../format/config.js'
import type {FastPath} from '../fast-path.js'
import {defaultSession, printText, runAsCommand} from './session.js'
import {writeStdoutJson} from './stdout.js'

/** The bundle's entry (fast-path.ts FAST_PATH_BUNDLES). */
export async function run(fast: FastPath): Promise<boolean> {
  if (fast.command !== 'config get') return false
  await configGet(fast)
  return true
}

/** `config get KEY [--json]` as commands/config/get.ts runs it. */
export async function configGet(fast: Extract<FastPath, {command: 'config get'}>): Promise<void> {
  await runAsCommand({json: fast.json}, async () => {
    const result = await getConfigValue(await defaultSession().config(), fast.key)
    if (fast.json) writeStdoutJson(result)
    else printText(scalar(result.value))
  })
}
