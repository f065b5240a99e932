import {chmod, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createEngine} from '../../../src/lib/oci/engines/choose.js'
import {parseReference} from '../../../src/lib/oci/reference.js'
import {ociSettingsFrom} from '../../../src/lib/oci/settings.js'
import {OciStores} from '../../../src/lib/oci/stores.js'
import type {LoadedConfig} from '../../../src/lib/config/loader.js'

/**
 * The oras engine hands oras the proxy variables of the environment the config was loaded
 * with, not whatever the parent process holds: an `oras` that records its proxy variables.
 */
describe('oras gets the proxy variables of the loaded environment', () => {
  let dir: string
  let seen: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'oras-proxy-env-'))
    seen = path.join(dir, 'seen.json')
    const names = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY']
    const script = `#!${process.execPath}\nconst e = {}; for (const n of ${JSON.stringify(names)}) if (n in process.env) e[n] = process.env[n]\nrequire('node:fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(e))\n`
    await writeFile(path.join(dir, 'oras'), script)
    await chmod(path.join(dir, 'oras'), 0o755)
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  it('set ones are passed, ones unset there are not inherited from the parent', async () => {
    const env = {PATH: dir, HTTPS_PROXY: 'http://user:pw@proxy.example:3128', no_proxy: '.internal'}
    const loaded = {
      values: {oci: {tool: 'oras', cache: {dir: path.join(dir, 'cache')}}},
      origins: new Map(),
      home: dir,
      env,
      cwd: dir,
    } as unknown as LoadedConfig
    const oci = new OciStores(ociSettingsFrom(loaded))
    const previous = process.env.HTTP_PROXY
    process.env.HTTP_PROXY = 'http://parent-only.example:1'
    try {
      const engine = await createEngine(oci)
      expect(engine.name).toBe('oras')
      await engine.listTags(parseReference('localhost:5000/ns/redis', {registry: 'localhost:5000', namespace: 'ns'}))
    } finally {
      if (previous === undefined) delete process.env.HTTP_PROXY
      else process.env.HTTP_PROXY = previous
      await oci.close()
    }
    expect(JSON.parse(await readFile(seen, 'utf8'))).toEqual({HTTPS_PROXY: 'http://user:pw@proxy.example:3128', no_proxy: '.internal'})
  })
})
