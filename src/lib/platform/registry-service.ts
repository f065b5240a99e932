import path from 'node:path'

import {NotFoundError} from '../errors.js'
import {pickDefinitions, type PlatformSetup, resolveLaunch} from './setup.js'
import {type StartResult, startServices, type StopResult, stopServices} from './lifecycle.js'
import {registryFolder} from './oci-registry.js'
import {serviceStatus, type ServiceStatus} from './status.js'

/** The local registry as `oci push` sees it (the default oci.registry follows its port). */
export interface RegistryEndpoint {
  /** host:port for oci.registry */
  address: string
  url: string
  binary?: string
  flavor?: string
  storage: string
}

const REGISTRY_SERVICE = 'oci-registry'

async function endpoint(ctx: PlatformSetup): Promise<RegistryEndpoint> {
  const definitions = pickRegistry(ctx)
  const launch = await resolveLaunch(ctx, definitions)
  const port = definitions.port ?? 5000
  return {
    address: `localhost:${port}`,
    url: `http://127.0.0.1:${port}`,
    binary: launch.binary,
    flavor: launch.flavor,
    storage: path.join(registryFolder(ctx.home), 'storage'),
  }
}

function pickRegistry(ctx: PlatformSetup) {
  if (!ctx.definitions.has(REGISTRY_SERVICE)) {
    throw new NotFoundError('no oci-registry service is defined', {
      hint: 'the defaults define [platform.services.oci-registry]; a config layer must have replaced platform.services with a table that lacks it',
    })
  }
  return pickDefinitions(ctx, [REGISTRY_SERVICE])[0]
}

export async function startRegistry(ctx: PlatformSetup): Promise<StartResult & {registry: RegistryEndpoint}> {
  pickRegistry(ctx)
  const result = await startServices(ctx, [REGISTRY_SERVICE])
  return {...result, registry: await endpoint(ctx)}
}

export async function stopRegistry(ctx: PlatformSetup): Promise<StopResult> {
  pickRegistry(ctx)
  return stopServices(ctx, [REGISTRY_SERVICE])
}

export async function registryStatus(ctx: PlatformSetup): Promise<ServiceStatus & {registry: RegistryEndpoint}> {
  pickRegistry(ctx)
  const {services} = await serviceStatus(ctx, [REGISTRY_SERVICE])
  return {...services[0], registry: await endpoint(ctx)}
}
