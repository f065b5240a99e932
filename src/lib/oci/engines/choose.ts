import {ConfigError} from '../../errors.js'
import {findBinary} from '../../util/find-binary.js'
import type {OciStores} from '../stores.js'
import type {Engine} from './engine.js'
import {NativeEngine} from './native.js'
import {OrasEngine} from './oras.js'

/** SPEC §8.3: auto uses oras when it is on PATH, else the native client. Chosen once per session. */
export async function createEngine(oci: OciStores): Promise<Engine> {
  const {settings} = oci
  const oras = await findBinary('oras', {env: settings.env, cwd: process.cwd()})
  switch (settings.tool) {
    case 'native':
      return new NativeEngine('oci.tool = native', oci)
    case 'oras':
      if (!oras) {
        throw new ConfigError('oci.tool = oras, but the oras binary is not on PATH', {
          hint: 'install oras (https://oras.land), or set oci.tool = auto or native',
        })
      }
      return new OrasEngine(oras, 'oci.tool = oras', oci)
    default:
      return oras
        ? new OrasEngine(oras, `oci.tool = auto and oras was found at ${oras}`, oci)
        : new NativeEngine('oci.tool = auto and oras is not on PATH', oci)
  }
}
