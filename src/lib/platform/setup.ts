import path from 'node:path'

import type {LoadedConfig} from '../config/loader.js'
import {pathSettingsFrom} from '../config/path-settings.js'
import {NotFoundError} from '../errors.js'
import {findBinary} from '../util/find-binary.js'
import {readDefinitions, type ServiceDefinition} from './definitions.js'
import {findRegistryBinary, flavorOf, REGISTRY_INSTALL_HINT, registryFolder} from './oci-registry.js'
import {ServicePaths} from './service-paths.js'

/** Everything a platform operation needs: the definitions, where state lives, how to look up binaries. */
export interface PlatformSetup {
  home: string
  paths: ServicePaths
  definitions: Map<string, ServiceDefinition>
  env: NodeJS.ProcessEnv
}

export function platformSetup(config: LoadedConfig): PlatformSetup {
  const fileOf = (key: string): string | undefined => {
    for (const [leaf, history] of config.origins) {
      if (leaf === key || leaf.startsWith(`${key}.`)) {
        const last = history.at(-1)
        return last?.file ?? last?.source
      }
    }
    return undefined
  }
  const definitions = readDefinitions(config.values, fileOf)
  const {services} = pathSettingsFrom(config)
  return {
    home: config.home,
    paths: new ServicePaths(services ? path.resolve(config.home, services) : path.join(config.home, 'services')),
    definitions: new Map(definitions.map((d) => [d.name, d])),
    env: config.env,
  }
}

/** The named definitions, or a NotFoundError (exit 4) listing what is defined. */
export function pickDefinitions(ctx: PlatformSetup, names: readonly string[]): ServiceDefinition[] {
  const unknown = names.filter((n) => !ctx.definitions.has(n))
  if (unknown.length > 0) {
    throw new NotFoundError(`no service named ${unknown.map((n) => `"${n}"`).join(', ')}`, {
      hint: `defined services: ${[...ctx.definitions.keys()].join(', ') || 'none'}; add one under [platform.services.<name>] in config.user.toml`,
      details: {unknown, defined: [...ctx.definitions.keys()]},
    })
  }
  return [...new Set(names)].map((n) => ctx.definitions.get(n) as ServiceDefinition)
}

/** How a service would be run here: the binary found (if any) and its arguments. */
export interface Launch {
  available: boolean
  binary?: string
  args: string[]
  cwd: string
  /** The caller's environment with the service's own variables on top. */
  env: NodeJS.ProcessEnv
  /** What to install when unavailable. */
  install?: string
  /** builtin oci-registry: which registry implementation the binary is. */
  flavor?: string
}

export async function resolveLaunch(ctx: PlatformSetup, definition: ServiceDefinition): Promise<Launch> {
  // Relative service folders resolve against $PROVISIONING_HOME.
  const cwd = definition.cwd ? path.resolve(ctx.home, definition.cwd) : ctx.home
  const lookup = {env: ctx.env, cwd, extraDirs: [path.join(ctx.home, 'bin')]}
  const env = {...ctx.env, ...definition.env}
  if (definition.builtin === 'oci-registry') {
    const binary = await findRegistryBinary(definition, lookup)
    if (!binary) return {available: false, args: [], cwd, env, install: definition.install ?? REGISTRY_INSTALL_HINT}
    const flavor = flavorOf(binary)
    const configFile = path.join(registryFolder(ctx.home), flavor === 'zot' ? 'config.json' : 'config.yml')
    return {available: true, binary, args: ['serve', configFile, ...definition.args], cwd, env, flavor}
  }
  const binary = await findBinary(definition.command, lookup)
  if (!binary) {
    const install =
      definition.install ?? `install ${definition.command} (on PATH or in ${path.join(ctx.home, 'bin')}), or set platform.services.${definition.name}.command`
    return {available: false, args: definition.args, cwd, env, install}
  }
  return {available: true, binary, args: definition.args, cwd, env}
}

/** NotFoundError (exit 4) for a service whose binary is missing, saying what to install. */
export function unavailableError(definition: ServiceDefinition, launch: Launch): NotFoundError {
  const what =
    definition.builtin === 'oci-registry' && !definition.command
      ? 'none of zot, registry, docker-registry is on PATH'
      : `"${definition.command}" is not on PATH (nor in $PROVISIONING_HOME/bin)`
  return new NotFoundError(`service ${definition.name} is unavailable: ${what}`, {
    hint: launch.install,
    details: {service: definition.name, command: definition.command || undefined, install: launch.install},
  })
}
