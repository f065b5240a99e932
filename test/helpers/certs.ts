import path from 'node:path'

import {execa} from 'execa'

export interface CertPair {
  certFile: string
  keyFile: string
}

/**
 * A self-signed EC P-256 certificate made with openssl, valid for 127.0.0.1 (IP SAN),
 * localhost and `dnsNames` (test host names, see test/helpers/test-hosts.ts). It is its own
 * CA: clients trust it by using certFile as their CA file.
 */
export async function selfSignedCert(dir: string, name = 'cert', commonName = '127.0.0.1', dnsNames: string[] = []): Promise<CertPair> {
  const certFile = path.join(dir, `${name}.pem`)
  const keyFile = path.join(dir, `${name}-key.pem`)
  await execa('openssl', [
    'req',
    '-x509',
    '-nodes',
    '-days',
    '2',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    `subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', ...dnsNames.map((n) => `DNS:${n}`)].join(',')}`,
  ])
  return {certFile, keyFile}
}
