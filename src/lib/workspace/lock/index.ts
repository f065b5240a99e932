/**
 * Workspace locks (SPEC §6): `workspace lock/unlock`, the lock shown by `workspace info`,
 * and the check mutating commands run before touching a workspace.
 */
export {lockWorkspace, type LockOptions, type LockResult} from './acquire.js'
export {unlockWorkspace, type UnlockOptions, type UnlockResult} from './release.js'
export {assertWorkspaceWritable, lockStatus, type LockStatus} from './status.js'
export type {LockRecord} from './record.js'
export type {LockTarget} from './provider.js'
