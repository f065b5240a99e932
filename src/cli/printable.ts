/**
 * Text for a terminal, where registry answers (descriptions, annotations, tag names in
 * messages) end up: control characters other than tab and newline, and the bidirectional
 * overrides that reorder what a reader sees, are shown as `\x1b` / `\u202e` instead of acting
 * on the terminal (an escape sequence in an extension's description could rewrite the lines
 * above it). JSON output needs none of this: JSON.stringify escapes control characters.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0)
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}
