import {getConfigValue} from '../../lib/config/query.js'
import {scalar} from '../format/config.js'
import type {FastPath} from '../fast-path.js'
import {reportFailure, writePlainJson} from '../render-error.js'
import {defaultSession, printText} from './session.js'

/** `config get KEY [--json]` as commands/config/get.ts runs it. */
export async function configGet(fast: Extract<FastPath, {command: 'config get'}>): Promise<void> {
  try {
    const result = await getConfigValue(await defaultSession().config(), fast.key)
    if (fast.json) writePlainJson(result)
    else printText(scalar(result.value))
  } catch (error) {
    reportFailure(error, {json: fast.json, verbose: false, writeJson: writePlainJson})
  }
}
