// `-H` output of zfs/zpool: one record per line, fields separated by a single tab. Values may contain
// spaces (names and mountpoints can), never tabs or newlines, so splitting on '\t' is exact.

/** Splits `-H` output into rows of fields; blank lines are dropped. */
export function parseTabular(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.replace(/\r$/, '').split('\t'))
}

/** Rows with exactly `columns.length` fields as objects; anything else is a format we don't understand. */
export function parseColumns<const K extends string>(stdout: string, columns: readonly K[], what: string): Record<K, string>[] {
  return parseTabular(stdout).map((fields, i) => {
    if (fields.length !== columns.length) {
      throw new Error(`${what}: line ${i + 1} has ${fields.length} fields, expected ${columns.length} (${columns.join(', ')})`)
    }
    return Object.fromEntries(columns.map((c, j) => [c, fields[j]!])) as Record<K, string>
  })
}

/** zfs/zpool print '-' for "no value" (an unencrypted dataset's keystatus, an empty resume token). */
export function dashToNull(value: string | undefined): string | null {
  return value === undefined || value === '-' || value === '' ? null : value
}

/** A 64-bit unsigned decimal (GUIDs). Kept as a string: JS numbers lose precision above 2^53. */
export function isUint64(value: string): boolean {
  return /^(0|[1-9][0-9]{0,19})$/.test(value) && BigInt(value) <= 0xffff_ffff_ffff_ffffn
}

/** Compares two non-negative decimal strings numerically (txgs, GUIDs), without losing precision. */
export function compareDecimal(a: string, b: string): number {
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}
