// Fixtures of the OCI transfer benchmark (bench/lib/oci.mjs): extension folders generated
// with the CLI, per-round variants with unique content, and OCI image layouts for skopeo.
import {randomBytes} from 'node:crypto'
import {closeSync, copyFileSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {runBatch} from './pool.mjs'

/** Files at least this big are hard-linked into variants instead of copied (the large payload). */
const LINK_THRESHOLD = 1024 * 1024

/** Sets `version:` in an extension's manifest.yaml. */
export function setVersion(dir, version) {
  const file = path.join(dir, 'manifest.yaml')
  const text = readFileSync(file, 'utf8')
  if (!/^version: .*$/m.test(text)) throw new Error(`${file}: no "version:" line to rewrite`)
  writeFileSync(file, text.replace(/^version: .*$/m, `version: ${version}`))
}

/** A small random payload, so that extensions differ in size and content (incompressible). */
export function writePayload(dir, bytes) {
  mkdirSync(path.join(dir, 'files'), {recursive: true})
  writeFileSync(path.join(dir, 'files', 'payload.bin'), randomBytes(bytes))
}

/** `bytes` of random data written in 16 MiB chunks (like `head -c N /dev/urandom`). */
export function writeRandomFile(file, bytes) {
  mkdirSync(path.dirname(file), {recursive: true})
  const fd = openSync(file, 'w')
  try {
    for (let left = bytes; left > 0; ) {
      const chunk = randomBytes(Math.min(left, 16 * 1024 * 1024))
      writeSync(fd, chunk)
      left -= chunk.length
    }
  } finally {
    closeSync(fd)
  }
}

function copyTree(from, to) {
  mkdirSync(to, {recursive: true})
  for (const e of readdirSync(from, {withFileTypes: true})) {
    const a = path.join(from, e.name)
    const b = path.join(to, e.name)
    if (e.isDirectory()) copyTree(a, b)
    else if (statSync(a).size >= LINK_THRESHOLD) linkSync(a, b)
    else copyFileSync(a, b)
  }
}

/**
 * A copy of an extension folder with its own version and a fresh random payload, so that
 * its config and layer blobs exist nowhere yet (neither in the registry nor in skopeo's
 * blob-info cache, which would otherwise turn uploads into cross-repository mounts).
 * A large payload file is hard-linked: the tarball still differs through manifest.yaml.
 */
export function makeVariant(baseDir, dir, version, payloadBytes) {
  copyTree(baseDir, dir)
  setVersion(dir, version)
  writePayload(dir, payloadBytes)
  return dir
}

/** Generates extensions with `provisioning generate extension taskserv NAME --path DIR`, `parallel` at a time. */
export async function generateExtensions(cli, names, parentDir, parallel = 2) {
  mkdirSync(parentDir, {recursive: true})
  await runBatch(
    names.map((name) => cli(['generate', 'extension', 'taskserv', name, '--path', path.join(parentDir, name)], {expect: /created taskserv/})),
    parallel,
  )
  return names.map((name) => path.join(parentDir, name))
}

/**
 * The project's own push operation, in this process (dist/lib/oci/ops/push.js), for setup
 * only: filling OCI layouts for skopeo and the registry repositories that pulls read from.
 * One CLI process per artifact would make the setup take minutes.
 */
export async function loadPush(root) {
  const {pushExtension} = await import(pathToFileURL(path.join(root, 'dist', 'lib', 'oci', 'ops', 'push.js')).href)
  const {Session} = await import(pathToFileURL(path.join(root, 'dist', 'lib', 'session', 'session.js')).href)
  return (dir, {env, registry}) => pushExtension({dir, config: new Session({env, cwd: path.dirname(dir), sets: []}).config, registry})
}

/** The layer (the tar.gz) of `name:tag` in an OCI layout folder: path and digest. */
export function layoutLayer(layoutDir, tag) {
  const index = JSON.parse(readFileSync(path.join(layoutDir, 'index.json'), 'utf8'))
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)
  if (!entry) throw new Error(`${layoutDir}: no manifest tagged ${tag}`)
  const blob = (digest) => path.join(layoutDir, 'blobs', 'sha256', digest.replace(/^sha256:/, ''))
  const manifest = JSON.parse(readFileSync(blob(entry.digest), 'utf8'))
  const layer = manifest.layers[0]
  return {digest: layer.digest, size: layer.size, file: blob(layer.digest)}
}
