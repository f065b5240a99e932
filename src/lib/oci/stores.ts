import {BlobCache} from './blob-cache.js'
import {CachingStore} from './caching-store.js'
import {type Credential, lookupCredentials} from './credentials.js'
import {LayoutStore} from './layout-store.js'
import {type Location, parseReference, type Reference} from './reference.js'
import {RegistryStore} from './registry-store.js'
import type {OciSettings} from './settings.js'
import type {ContentStore} from './store.js'
import {usesPlainHttp} from './transport-policy.js'

/** Opens stores for locations, shares the blob cache, and closes connections at the end. */
export class OciStores {
  readonly cache: BlobCache
  /** The stores themselves, one per registry host or layout root (closed at the end). */
  private readonly open = new Map<string, ContentStore>()
  private readonly cached = new Map<string, CachingStore>()
  private readonly extra: ContentStore[] = []

  constructor(readonly settings: OciSettings) {
    this.cache = new BlobCache(settings.cacheDir)
  }

  parse(reference: string): Reference {
    return parseReference(reference, {registry: this.settings.registry, namespace: this.settings.namespace}, this.settings.cwd)
  }

  /**
   * The store of a location: a registry's reads go through the blob cache (a layout is a
   * local folder already, and copying from it leaves the cache alone).
   */
  store(location: Location): ContentStore {
    return location.kind === 'remote' ? this.cachedStore(location) : this.origin(location)
  }

  /**
   * The store of a location reading blobs through the blob cache, whatever its kind: what
   * pull, dep resolve and config reads use (an extension's layer and config are cached
   * from a layout too).
   */
  cachedStore(location: Location): CachingStore {
    const key = keyOf(location)
    let store = this.cached.get(key)
    if (!store) {
      store = new CachingStore(this.origin(location), this.cache)
      this.cached.set(key, store)
    }
    return store
  }

  private origin(location: Location): ContentStore {
    const key = keyOf(location)
    let store = this.open.get(key)
    if (!store) {
      store = location.kind === 'layout' ? new LayoutStore(location.root) : this.remote(location.host)
      this.open.set(key, store)
    }
    return store
  }

  /**
   * A registry store with the session's transport settings; credentials default to the
   * lookup of SPEC §8.3 (`oci login` passes the ones it is verifying). OciStores
   * closes it with the others.
   */
  remote(host: string, credentials?: () => Promise<Credential | undefined>): RegistryStore {
    const {settings} = this
    const store = new RegistryStore({
      host,
      // Plain HTTP only for the configured registry and loopback hosts (transport-policy.ts).
      plainHttp: usesPlainHttp(host, settings),
      caFile: settings.caFile,
      insecure: settings.insecure,
      timeoutMs: settings.timeoutMs,
      minBytesPerSecond: settings.minBytesPerSecond,
      retries: settings.retries,
      connections: Math.max(settings.concurrency, 2),
      env: settings.env,
      credentials: credentials ?? (async () => (await lookupCredentials(host, {home: settings.home, env: settings.env, token: settings.token}))?.credential),
    })
    if (credentials) this.extra.push(store)
    return store
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values(), ...this.extra].map((s) => s.close()))
    this.open.clear()
    this.cached.clear()
    this.extra.length = 0
  }
}

const keyOf = (location: Location) => (location.kind === 'remote' ? location.host : location.root)
