import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'
import path from 'node:path'

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK)
    return (await stat(file)).isFile()
  } catch {
    return false
  }
}

/**
 * Finds a binary like the shell does: a name with a slash is taken as a path, anything
 * else is searched on PATH and then in the extra folders ($PROVISIONING_HOME/bin, where
 * platform binaries are installed per user).
 */
export async function findBinary(command: string, options: {env: NodeJS.ProcessEnv; cwd: string; extraDirs?: string[]}): Promise<string | undefined> {
  if (command === '') return undefined
  if (command.includes('/')) {
    const file = path.resolve(options.cwd, command)
    return (await executable(file)) ? file : undefined
  }
  const dirs = [...(options.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...(options.extraDirs ?? [])]
  for (const dir of dirs) {
    const file = path.join(dir, command)
    if (await executable(file)) return file
  }
  return undefined
}
