// Prints a free TCP port on 127.0.0.1 (the OS picks it; it is released before printing).
// Used by bench/oci.sh; another process may still take it before the registry binds, so the
// caller retries with a new port when the registry reports "address already in use".
import net from 'node:net'

const server = net.createServer()
server.once('error', (error) => {
  console.error(`free-port: ${error.message}`)
  process.exit(1)
})
server.listen(0, '127.0.0.1', () => {
  const {port} = server.address()
  server.close(() => console.log(port))
})
