import {chmod, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {LoadedConfig, LoadOptions} from '../../../src/lib/config/loader.js'
import {selectAndLoadConfig as loadConfig} from '../../../src/lib/session/select-config.js'
import {ProvisioningError} from '../../../src/lib/errors.js'

/**
 * A throw-away world for one test: a PROVISIONING_HOME, a workspace folder and an
 * unrelated working directory, all under one mkdtemp folder. `env` holds only what the
 * test passes, so the developer's own PROVISIONING_* variables never leak in.
 */
export interface Sandbox {
  root: string
  home: string
  ws: string
  /** A folder outside the workspace (cwd-based discovery finds nothing from here). */
  outside: string
  env: NodeJS.ProcessEnv
  /** Writes a file relative to `root` (creating folders) and returns its absolute path. */
  write(relative: string, text: string): Promise<string>
  /** loadConfig with the sandbox env and cwd, and the workspace selected by path. */
  load(options?: LoadOptions): Promise<LoadedConfig>
  cleanup(): Promise<void>
}

export async function makeSandbox(options: {workspaceYaml?: string} = {}): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'prov-config-'))
  const home = path.join(root, 'home')
  const ws = path.join(root, 'ws')
  const outside = path.join(root, 'outside')
  await mkdir(home, {recursive: true})
  await mkdir(outside, {recursive: true})
  const write = async (relative: string, text: string) => {
    const file = path.join(root, relative)
    await mkdir(path.dirname(file), {recursive: true})
    await writeFile(file, text)
    return file
  }
  await write('ws/config/provisioning.yaml', options.workspaceYaml ?? 'workspace:\n  name: demo\n')
  const env: NodeJS.ProcessEnv = {PROVISIONING_HOME: home, HOME: process.env.HOME}
  return {
    root,
    home,
    ws,
    outside,
    env,
    write,
    load: (extra: LoadOptions = {}) => loadConfig({env, cwd: outside, workspace: ws, ...extra}),
    cleanup: async () => {
      // Restore permissions a test may have removed, so rm can always clean up.
      await chmod(root, 0o755).catch(() => undefined)
      await rm(root, {recursive: true, force: true})
    },
  }
}

/** Runs `fn`, expects it to reject with a ProvisioningError, and returns that error. */
export async function expectProvisioningError(fn: () => Promise<unknown>): Promise<ProvisioningError> {
  try {
    await fn()
  } catch (error) {
    if (error instanceof ProvisioningError) return error
    throw new Error(`expected a ProvisioningError, got ${String(error)}`, {cause: error})
  }
  throw new Error('expected a ProvisioningError, but the call succeeded')
}
