import {BlobCache} from './blob-cache.js'
import {CachingStore} from './caching-store.js'
import {type Credential, lookupCredentials, registryKey} from './credentials.js'
import {LayoutStore} from './layout-store.js'
import {MirroredStore} from './mirrored-store.js'
import {type Location, parseReference, type Reference} from './reference.js'
import {RegistryStore} from './registry-store.js'
import type {OciSettings} from './settings.js'
import type {ContentStore} from './store.js'
import {usesPlainHttp} from './transport-policy.js'

export interface OciStoresOptions {
  /** A problem that did not stop the read (a mirror caught serving other content): said as it happens. */
  onWarning?: (message: string) => void
}

/** Opens stores for locations, shares the blob cache, and closes connections at the end. */
export class OciStores {
  readonly cache: BlobCache
  /** Every warning of this run's stores (also passed to onWarning), for results that list them. */
  readonly warnings: string[] = []
  /** The stores themselves, one per registry host or layout root (closed at the end). */
  private readonly open = new Map<string, ContentStore>()
  private readonly cached = new Map<string, CachingStore>()
  private readonly extra: ContentStore[] = []

  constructor(
    readonly settings: OciSettings,
    private readonly options: OciStoresOptions = {},
  ) {
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
      store = location.kind === 'layout' ? new LayoutStore(location.root) : this.mirrored(location.host)
      this.open.set(key, store)
    }
    return store
  }

  /**
   * The registry's store, behind its pull mirrors when oci.mirrors names any (under the blob
   * cache: a cached digest is never asked of a mirror either). A mirror gets one attempt per
   * request, no retries: the registry behind it is the fallback, not a wait.
   */
  private mirrored(host: string): ContentStore {
    const upstream = this.remote(host)
    const entry = this.settings.mirrors?.find((m) => m.registry === registryKey(host))
    if (!entry) return upstream
    const mirrors = entry.mirrors.map((mirror) => ({host: mirror, store: this.registryStore(mirror, {retries: 0})}))
    return new MirroredStore(upstream, mirrors, (message) => {
      this.warnings.push(message)
      this.options.onWarning?.(message)
    })
  }

  /**
   * A registry store with the session's transport settings; credentials default to the
   * lookup of SPEC §8.3 (`oci login` passes the ones it is verifying). OciStores
   * closes it with the others.
   */
  remote(host: string, credentials?: () => Promise<Credential | undefined>): RegistryStore {
    const store = this.registryStore(host, {credentials})
    if (credentials) this.extra.push(store)
    return store
  }

  private registryStore(host: string, options: {credentials?: () => Promise<Credential | undefined>; retries?: number}): RegistryStore {
    const {settings} = this
    const {credentials} = options
    return new RegistryStore({
      host,
      // Plain HTTP only for the configured registry and loopback hosts (transport-policy.ts).
      plainHttp: usesPlainHttp(host, settings),
      caFile: settings.caFile,
      insecure: settings.insecure,
      timeoutMs: settings.timeoutMs,
      minBytesPerSecond: settings.minBytesPerSecond,
      retries: options.retries ?? settings.retries,
      connections: Math.max(settings.concurrency, 2),
      env: settings.env,
      // A mirror's own host: the registry's credentials or token never go to its mirrors.
      credentials: credentials ?? (async () => (await lookupCredentials(host, {home: settings.home, env: settings.env, token: settings.token}))?.credential),
    })
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values(), ...this.extra].map((s) => s.close()))
    this.open.clear()
    this.cached.clear()
    this.extra.length = 0
  }
}

const keyOf = (location: Location) => (location.kind === 'remote' ? location.host : location.root)
