import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)

/**
 * node:http and node:https, loaded through require() on first use. Imported as ES modules they
 * cost ~60 ms on Node 24: the module namespace is built from every export, which reads the
 * lazy getters that load undici (WebSocket, …). require() reads none of them, and a run that
 * makes no request (a followed lock, a config query) loads neither.
 */
export const nodeHttp = (): typeof import('node:http') => require('node:http') as typeof import('node:http')
export const nodeHttps = (): typeof import('node:https') => require('node:https') as typeof import('node:https')
