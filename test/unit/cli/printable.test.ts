import {describe, expect, it} from 'vitest'

import {printable} from '../../../src/cli/printable.js'

describe('printable', () => {
  it('keeps ordinary text, tabs, newlines and non-ASCII letters as they are', () => {
    const text = 'NAME\tVERSION\nredis\t7.2.0 — café 日本\n'
    expect(printable(text)).toBe(text)
  })

  it('shows escape sequences, carriage returns and other controls instead of sending them to the terminal', () => {
    expect(printable('a\x1b[2J\x1b[1;1Hb')).toBe('a\\x1b[2J\\x1b[1;1Hb')
    expect(printable('ok\rFAKE')).toBe('ok\\x0dFAKE')
    expect(printable('\x00\x07\x7f\x9b')).toBe('\\x00\\x07\\x7f\\x9b')
  })

  it('shows bidirectional overrides that would reorder what a reader sees', () => {
    expect(printable('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe')
    expect(printable('\u2066x\u2069')).toBe('\\u2066x\\u2069')
  })
})
