import {groupMembers, isRunning, signalGroup, signalProcess} from './proc.js'

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
  // A process adopted from a hand-written PID file may not lead its own group: then only it is ours.
  const ownGroup = pgid === leader
  const groupGone = async () => !(await isRunning(leader)) && (!ownGroup || (await groupMembers(pgid)).length === 0)
  const signal = (name: NodeJS.Signals) => (ownGroup ? signalGroup(pgid, name) : signalProcess(leader, name))
  if (await groupGone()) return 'gone'
  signal('SIGTERM')
  if (await until(groupGone, graceMs)) return 'terminated'
  signal('SIGKILL')
  await until(groupGone, AFTER_KILL_MS)
  return 'killed'
}
