import net from 'node:net'

/**
 * True when nothing holds the port on the loopback address: binding 127.0.0.1 fails with
 * EADDRINUSE also when another process listens on the wildcard address.
 */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen({port, host, exclusive: true}, () => server.close(() => resolve(true)))
  })
}
