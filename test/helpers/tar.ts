import {gzipSync} from 'node:zlib'

/**
 * A minimal deterministic ustar writer for test archives, including hostile ones
 * (absolute paths, `..`, links out of the tree, devices): names are written verbatim.
 */
export interface TarEntry {
  name: string
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'fifo'
  content?: string | Buffer
  linkname?: string
  mode?: number
}

const TYPEFLAG = {file: '0', hardlink: '1', symlink: '2', chardev: '3', dir: '5', fifo: '6', longname: 'L'} as const

function field(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8')
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`)
  bytes.copy(header, offset)
}

const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0')

function header(entry: Omit<TarEntry, 'type'> & {type?: keyof typeof TYPEFLAG}, size: number): Buffer {
  const type = entry.type ?? 'file'
  const block = Buffer.alloc(512)
  field(block, 0, 100, entry.name)
  field(block, 100, 8, octal(entry.mode ?? (type === 'dir' ? 0o755 : 0o644), 8))
  field(block, 108, 8, octal(0, 8))
  field(block, 116, 8, octal(0, 8))
  field(block, 124, 12, octal(size, 12))
  field(block, 136, 12, octal(0, 12))
  field(block, 148, 8, '        ')
  field(block, 156, 1, TYPEFLAG[type])
  field(block, 157, 100, entry.linkname ?? '')
  field(block, 257, 6, 'ustar\0')
  field(block, 263, 2, '00')
  let sum = 0
  for (const byte of block) sum += byte
  field(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `)
  return block
}

const padded = (data: Buffer) => [data, Buffer.alloc((512 - (data.length % 512)) % 512)]

/**
 * An uncompressed tar of the entries, in the given order. A name over 100 bytes goes in a
 * GNU long-name entry (`././@LongLink`, type L) before its header, as GNU tar writes it.
 */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const data = entry.type === undefined || entry.type === 'file' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0)
    let name = entry.name
    if (Buffer.byteLength(name) > 100) {
      const longName = Buffer.from(`${name}\0`)
      parts.push(header({name: '././@LongLink', type: 'longname'}, longName.length), ...padded(longName))
      while (Buffer.byteLength(name) > 100) name = name.slice(0, -1)
    }
    parts.push(header({...entry, name}, data.length), ...padded(data))
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

/** tar + gzip (no name, mtime 0): the same entries always give the same bytes. */
export function tarGz(entries: TarEntry[]): Buffer {
  return gzipSync(tar(entries))
}
