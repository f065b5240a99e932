import {ConfigError} from '../../errors.js'
import {nodeNet} from '../../util/lazy-builtins.js'

/**
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY, read from the environment the config was loaded with
 * (never process.env directly, so tests and --set stay deterministic). proxy-from-env reads
 * only process.env and matches NO_PROXY entries exactly (curl matches subdomains), so the
 * small matcher below follows curl instead. As curl, the lower-case variable wins when both
 * forms are set, and there is no implicit bypass for loopback hosts: NO_PROXY says it.
 */
export interface ProxyChoice {
  /** The proxy with its credentials, if any: for the agent only, never shown. */
  url: URL
  /** The variable that named it (https_proxy, HTTPS_PROXY, …). */
  variable: string
  /** scheme://host:port: what messages, --json and `oci config` show (credentials never). */
  display: string
  /** Whether the URL carries credentials (sent as Proxy-Authorization). */
  credentials: boolean
}

export type ProxyEnvironment = Readonly<Record<string, string | undefined>>

const PROXY_VARIABLES = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY']

/**
 * The proxy variables of `env`, every one named (unset ones as undefined, which a child
 * process does not inherit): what a tool run as a child (oras) is given, so it honours the
 * same proxies as the native client, whatever the parent's own environment holds.
 */
export function proxyVariables(env: ProxyEnvironment): Record<string, string | undefined> {
  return Object.fromEntries(PROXY_VARIABLES.map((name) => [name, env[name]]))
}

/** The first set, non-empty one of the lower-case then the upper-case form. */
function variable(env: ProxyEnvironment, name: string): {name: string; value: string} | undefined {
  for (const candidate of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[candidate]?.trim()
    if (value) return {name: candidate, value}
  }
  return undefined
}

/** The proxy variable for `target`'s scheme, and the NO_PROXY variable exempting it, if any. */
function lookup(target: URL, env: ProxyEnvironment): {proxy?: ProxyChoice; exemptedBy?: string} {
  const set = variable(env, target.protocol === 'https:' ? 'https_proxy' : 'http_proxy')
  if (!set) return {}
  const proxy = parseProxy(set.name, set.value)
  const noProxy = variable(env, 'no_proxy')
  if (noProxy && noProxyMatches(noProxy.value, target.hostname, effectivePort(target))) return {proxy, exemptedBy: noProxy.name}
  return {proxy}
}

/** The proxy a request to `target` goes through, or undefined for a direct connection. */
export function proxyFor(target: URL, env: ProxyEnvironment): ProxyChoice | undefined {
  const {proxy, exemptedBy} = lookup(target, env)
  return exemptedBy ? undefined : proxy
}

/** The route to `target` in words, for `oci config`: the proxy (masked) and its variable, or why none. */
export function describeProxy(target: URL, env: ProxyEnvironment): string {
  let found: ReturnType<typeof lookup>
  try {
    found = lookup(target, env)
  } catch (error) {
    // A diagnostic command shows the problem rather than failing on it.
    if (error instanceof ConfigError) return `unusable: ${error.message}`
    throw error
  }
  const {proxy, exemptedBy} = found
  if (!proxy) return 'none'
  if (exemptedBy) return `none: ${exemptedBy} exempts ${target.host} from ${proxy.display} (${proxy.variable})`
  return `${proxy.display} (from ${proxy.variable}${proxy.credentials ? ', with credentials, not shown' : ''})`
}

function effectivePort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
}

/**
 * A proxy variable's value: `[http[s]://][user:password@]host[:port]` (no scheme means
 * http, as curl). A value that is not that is a configuration error naming the variable,
 * never echoing the value (it may hold a password).
 */
export function parseProxy(name: string, value: string): ProxyChoice {
  let url: URL | undefined
  try {
    url = new URL(value.includes('://') ? value : `http://${value}`)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new ConfigError(`${name} is not a usable proxy URL (the value is not shown: it may hold a password)`, {
      hint: `set ${name} to http://HOST:PORT (or http://USER:PASSWORD@HOST:PORT); socks proxies are not supported`,
      details: {variable: name},
    })
  }
  return {url, variable: name, display: `${url.protocol}//${url.host}`, credentials: url.username !== '' || url.password !== ''}
}

/** A host name without brackets or a trailing dot, lower-cased. */
function bare(host: string): string {
  return host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase()
}

/**
 * Whether NO_PROXY exempts `hostname`:`port` from the proxy, by curl's rules: entries
 * separated by commas or spaces; `*` exempts every host; a name exempts itself and its
 * subdomains (`example.com` and `.example.com` both match example.com and www.example.com,
 * never notexample.com); an IP address matches exactly, or by CIDR (`10.0.0.0/8`, as
 * curl 7.86+). Beyond curl, as Go and proxy-from-env do, `host:port` exempts that port only.
 */
export function noProxyMatches(list: string, hostname: string, port: number): boolean {
  const host = bare(hostname)
  const hostIsIp = nodeNet().isIP(host)
  for (const raw of list.split(/[\s,]+/)) {
    const entry = raw.trim()
    if (!entry) continue
    if (entry === '*') return true
    const {name, entryPort} = splitPort(entry)
    if (entryPort !== undefined && entryPort !== port) continue
    if (hostIsIp) {
      if (ipMatches(name, host, hostIsIp)) return true
      continue
    }
    const suffix = bare(name).replace(/^\*?\./, '')
    if (suffix && (host === suffix || host.endsWith(`.${suffix}`))) return true
  }
  return false
}

/** `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 address or a CIDR: the name and the port, if any. */
function splitPort(entry: string): {name: string; entryPort?: number} {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
  if (bracketed) return {name: bracketed[1], entryPort: bracketed[2] === undefined ? undefined : Number(bracketed[2])}
  const withPort = /^([^:]+):(\d+)$/.exec(entry)
  if (withPort) return {name: withPort[1], entryPort: Number(withPort[2])}
  return {name: entry}
}

function ipMatches(entry: string, host: string, family: number): boolean {
  const slash = entry.indexOf('/')
  if (slash < 0) return bare(entry) === host
  const network = entry.slice(0, slash)
  const bits = Number(entry.slice(slash + 1))
  const type = family === 6 ? 'ipv6' : 'ipv4'
  if (nodeNet().isIP(network) !== family || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) return false
  const block = new (nodeNet().BlockList)()
  block.addSubnet(network, bits, type)
  return block.check(host, type)
}
