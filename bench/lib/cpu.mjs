// CPU time from /proc (Linux): of one process (the registry), and of this process's
// finished children (the CLI processes a bench case ran). With both, a case says where its
// time went: on 2 shared cores, wall ≥ (client CPU + registry CPU) / 2.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

let tickMs
function ticksToMs(ticks) {
  tickMs ??= 1000 / (Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100)
  return ticks * tickMs
}

/** The fields of /proc/PID/stat after "(comm)", which may itself hold spaces and parentheses. */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number)
}

/** User + system CPU ms of a running process (utime, stime: fields 14 and 15 of stat). */
export function processCpuMs(pid) {
  const f = statFields(pid)
  return ticksToMs(f[11] + f[12])
}

/** User + system CPU ms of this process's waited-for children (cutime, cstime: fields 16 and 17). */
export function childrenCpuMs() {
  const f = statFields('self')
  return ticksToMs(f[13] + f[14])
}
