import {groupMembers, isRunning, signalGroup} from './proc.js'

const POLL_MS = 50
const AFTER_KILL_MS = 5000

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return true
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

/**
 * Stops a service's whole process group (it runs in its own session, so helpers it
 * spawned go too): SIGTERM, then SIGKILL once the grace period is over.
 * Returns how it ended.
 */
export async function terminateGroup(pgid: number, leader: number, graceMs: number): Promise<'terminated' | 'killed' | 'gone'> {
  const groupGone = async () => !(await isRunning(leader)) && (await groupMembers(pgid)).length === 0
  if (await groupGone()) return 'gone'
  signalGroup(pgid, 'SIGTERM')
  if (await until(groupGone, graceMs)) return 'terminated'
  signalGroup(pgid, 'SIGKILL')
  await until(groupGone, AFTER_KILL_MS)
  return 'killed'
}
