// One --json line: the value (typed against its published schema, shared/cli-json.ts) with the schema
// version in front. Tests set ZDB_CHECK_JSON=1 to validate every line at run time as well.
import type { z } from 'zod'
import { CLI_JSON, CLI_JSON_VERSION, lineSchema, type CliJsonKind } from '../../shared/cli-json'

export function jsonLine<K extends CliJsonKind>(kind: K, value: z.input<(typeof CLI_JSON)[K]>): string {
  const line = { schemaVersion: CLI_JSON_VERSION, ...(value as object) }
  if (process.env.ZDB_CHECK_JSON === '1') lineSchema(kind).parse(JSON.parse(JSON.stringify(line)))
  return `${JSON.stringify(line)}\n`
}
