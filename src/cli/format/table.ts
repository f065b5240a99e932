/** Renders rows as left-aligned columns under upper-case headers (no borders, like kubectl). */
export function table(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  if (rows.length === 0) return ''
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((row) => row.map((cell) => (cell === undefined ? '' : String(cell))))]
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => row[col]?.length ?? 0)))
  return cells
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** `key: value` lines with aligned values. */
export function keyValues(pairs: Array<[string, string | number | boolean | undefined]>): string {
  const width = Math.max(...pairs.map(([key]) => key.length))
  return pairs
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${value}`)
    .join('\n')
}
