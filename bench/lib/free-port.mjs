// A free TCP port on 127.0.0.1 (the OS picks it; it is released before it is returned).
// Imported by the bench drivers, and run as a script by bench/lib/common.sh (it prints the
// port). Another process may still take it before the server binds, so callers that start a
// server retry with a new port when it reports "address already in use".
import net from 'node:net'
import {pathToFileURL} from 'node:url'

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  freePort().then(
    (port) => console.log(port),
    (error) => {
      console.error(`free-port: ${error.message}`)
      process.exit(1)
    },
  )
}
