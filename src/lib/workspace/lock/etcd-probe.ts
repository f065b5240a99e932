import {etcdError, openEtcd} from './etcd-client.js'
import type {EtcdSettings} from './settings.js'

export interface EndpointProbe {
  endpoint: string
  reachable: boolean
  /** etcd server version when reachable; why not otherwise. */
  detail: string
}

/** Asks every endpoint for its status, in parallel and one by one, so the answer names each unreachable one. */
export async function probeEtcd(settings: EtcdSettings): Promise<EndpointProbe[]> {
  return Promise.all(
    settings.endpoints.map(async (endpoint): Promise<EndpointProbe> => {
      const single = {...settings, endpoints: [endpoint]}
      let client: Awaited<ReturnType<typeof openEtcd>> | undefined
      try {
        client = await openEtcd(single)
        const status = await client.maintenance.status()
        return {endpoint, reachable: true, detail: `etcd ${status.version}`}
      } catch (error) {
        const reason = etcdError(error, single, 'check').message.replace(/^cannot check: /, '')
        return {endpoint, reachable: false, detail: reason}
      } finally {
        client?.close()
      }
    }),
  )
}
