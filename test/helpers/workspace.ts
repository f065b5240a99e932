import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {runCli, tempDir} from './cli.js'

export interface Sandbox {
  home: string
  root: string
  env: Record<string, string>
  cleanup: () => Promise<void>
}

/** A temp PROVISIONING_HOME plus a scratch folder, isolated from the developer's setup. */
export async function sandbox(): Promise<Sandbox> {
  const {dir, cleanup} = await tempDir()
  const home = path.join(dir, 'home')
  await mkdir(home, {recursive: true})
  return {home, root: dir, env: {PROVISIONING_HOME: home, DOCKER_CONFIG: path.join(dir, 'docker')}, cleanup}
}

/** Creates a workspace through the CLI itself and returns its path. */
export async function initWorkspace(box: Sandbox, name = 'demo', extra: string[] = []): Promise<string> {
  const dir = path.join(box.root, name)
  const result = await runCli(['workspace', 'init', name, '--path', dir, ...extra], {env: box.env})
  if (result.exitCode !== 0) throw new Error(`workspace init failed: ${result.stderr}`)
  return dir
}

export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), {recursive: true})
  await writeFile(file, text)
}
