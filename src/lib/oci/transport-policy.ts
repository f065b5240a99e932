/**
 * Which hosts are spoken to in plain HTTP (SPEC §8.3, §14; README "Security model").
 *
 * oci.tls_enabled=false names one registry as plain HTTP: the configured one (oci.registry,
 * or the workspace declaration's dependencies.extensions.oci.registry, which replaces it
 * for dep commands), as Docker's insecure-registries names hosts one by one. Loopback hosts
 * (localhost, 127.0.0.0/8, [::1]) get plain HTTP too when TLS is off: local registries,
 * where no one sits in between. Every other host a reference names (a module at
 * registry.company.com/…, a copy destination) is reached over HTTPS whatever the setting:
 * otherwise one `tls_enabled: false` in a declaration would send every host's traffic, and
 * the credentials stored for those hosts, in clear text to whoever answers on the way.
 * Even the configured registry, when it is not loopback, gets no stored credential over
 * plain HTTP (RegistryClient sends it anonymous requests only): a declaration can name
 * the user's real registry as its plain-HTTP one.
 */
import {registryKey} from './credentials.js'

/** The host part of `host[:port]` or `[v6]:port`, lower-cased, without brackets. */
function hostName(host: string): string {
  const key = registryKey(host)
  if (key.startsWith('[')) return key.slice(1, key.indexOf(']') > 0 ? key.indexOf(']') : undefined)
  return key.replace(/:\d*$/, '')
}

/** localhost, 127.0.0.0/8 or ::1 (with or without a port). */
export function isLoopbackHost(host: string): boolean {
  const name = hostName(host)
  if (name === 'localhost' || name === '::1') return true
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name)
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255)
}

/** Whether requests to `host` use plain HTTP (see above). */
export function usesPlainHttp(host: string, settings: {tlsEnabled: boolean; registry: string}): boolean {
  if (settings.tlsEnabled) return false
  return registryKey(host) === registryKey(settings.registry) || isLoopbackHost(host)
}
