import {afterAll} from 'vitest'

import {RegistryStore} from '../../src/lib/oci/registry-store.js'

/**
 * RegistryStores for a test registry on loopback (plain HTTP, anonymous, no retries), all
 * closed after the describe block that asked for them.
 */
export function useRegistryStores(): (host: string) => RegistryStore {
  const stores: RegistryStore[] = []
  afterAll(() => Promise.all(stores.map((s) => s.close())))
  return (host) => {
    const store = new RegistryStore({
      host,
      plainHttp: true,
      timeoutMs: 30_000,
      minBytesPerSecond: 64 * 1024,
      retries: 0,
      connections: 2,
      credentials: async () => undefined,
    })
    stores.push(store)
    return store
  }
}
