import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)

/**
 * Node's network modules, loaded through require() on first use, for code that every run
 * loads but few runs call (the registry transport: a followed lock or a config query makes no
 * request). Imported as ES modules they cost even when unused: node:http builds its module
 * namespace from every export, which reads the lazy getters that load undici (WebSocket, …),
 * ~60 ms per start on Node 24; node:net alone is ~6 ms.
 */
export const nodeHttp = (): typeof import('node:http') => require('node:http') as typeof import('node:http')
export const nodeHttps = (): typeof import('node:https') => require('node:https') as typeof import('node:https')
export const nodeNet = (): typeof import('node:net') => require('node:net') as typeof import('node:net')
