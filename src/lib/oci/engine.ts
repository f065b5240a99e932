import {ConfigError} from '../errors.js'
import {findBinary} from '../util/find-binary.js'
import type {EngineName, OciSettings} from './settings.js'

export interface EngineChoice {
  engine: EngineName
  reason: string
  orasPath?: string
}

/** SPEC §8.3: auto uses oras when it is on PATH, else the native client. */
export async function chooseEngine(settings: Pick<OciSettings, 'tool' | 'env'>): Promise<EngineChoice> {
  const oras = await findBinary('oras', {env: settings.env, cwd: process.cwd()})
  switch (settings.tool) {
    case 'native':
      return {engine: 'native', reason: 'oci.tool = native'}
    case 'oras':
      if (!oras) {
        throw new ConfigError('oci.tool = oras, but the oras binary is not on PATH', {
          hint: 'install oras (https://oras.land), or set oci.tool = auto or native',
        })
      }
      return {engine: 'oras', reason: 'oci.tool = oras', orasPath: oras}
    default:
      return oras
        ? {engine: 'oras', reason: `oci.tool = auto and oras was found at ${oras}`, orasPath: oras}
        : {engine: 'native', reason: 'oci.tool = auto and oras is not on PATH'}
  }
}
