import http from 'node:http'
import type {AddressInfo} from 'node:net'

/** One request a ScriptedServer received, body included. */
export interface ReceivedRequest {
  method: string
  /** Path and query. */
  url: string
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export type ScriptedHandler = (request: ReceivedRequest, res: http.ServerResponse) => void

export interface ScriptedServer {
  /** 127.0.0.1:PORT */
  host: string
  /** http://127.0.0.1:PORT */
  url: string
  requests: ReceivedRequest[]
  close(): Promise<void>
}

/**
 * A real HTTP server on 127.0.0.1 (free port) that answers with `handler` once a request's
 * body has arrived whole, and logs every request.
 */
export async function startScriptedServer(handler: ScriptedHandler): Promise<ScriptedServer> {
  const requests: ReceivedRequest[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const received = {method: req.method ?? '', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks)}
      requests.push(received)
      handler(received, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    host,
    url: `http://${host}`,
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Answers with a status, headers and an optional JSON or text body. */
export function answer(res: http.ServerResponse, status: number, headers: Record<string, string> = {}, body?: object | string): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, {'content-length': String(Buffer.byteLength(text)), ...headers})
  res.end(text)
}

/** Starts scripted servers and closes them all at once (from afterEach). */
export function scriptedServerPool(): {serve(handler: ScriptedHandler): Promise<ScriptedServer>; closeAll(): Promise<void>} {
  const servers: ScriptedServer[] = []
  return {
    async serve(handler) {
      const server = await startScriptedServer(handler)
      servers.push(server)
      return server
    },
    async closeAll() {
      for (const server of servers.splice(0)) await server.close()
    },
  }
}
