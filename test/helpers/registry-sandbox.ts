import {afterAll, beforeAll} from 'vitest'

import {type RegistryHandle, useRegistry} from './registry.js'
import {type Sandbox, sandbox} from './workspace.js'

export interface RegistrySandbox {
  registry: () => RegistryHandle
  box: () => Sandbox
  /** The sandbox's environment with oci.registry set to the registry. */
  env: () => Record<string, string>
}

/** A real registry and a sandbox pointing at it, for one describe block (getters inside tests). */
export function useRegistrySandbox(): RegistrySandbox {
  const registry = useRegistry()
  let box: Sandbox | undefined
  beforeAll(async () => {
    box = await sandbox()
  })
  afterAll(() => box?.cleanup())
  const current = () => {
    if (!box) throw new Error('sandbox not ready (use the getters inside a test or a later beforeAll)')
    return box
  }
  return {registry, box: current, env: () => ({...current().env, PROVISIONING_OCI__REGISTRY: registry().host})}
}
