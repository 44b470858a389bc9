// What `zfs-drive-backup … --json` prints: one JSON document per line, each with "schemaVersion" (bumped
// on any change a consumer could trip over). One schema per kind of line; schemas/*.schema.json is
// generated from these (npm run generate) and a test keeps it current. The CLI builds every line through
// main/cli/json.ts, typed against these, so the published schema and the output cannot drift apart.
import { z } from 'zod'
import { RunEvent } from './events'
import { RunRecord } from './run-record'
import { AutoBackupState, DiffEntry, DiskCandidate, DoctorCheck, KeyCheck, SourceDelegation } from './wire'

export const CLI_JSON_VERSION = 1

const LastScrub = z.object({ at: z.string(), errors: z.number().int().nonnegative(), repairedBytes: z.number().nonnegative() })

export const StatusLine = z.object({
  drive: z.string(),
  pool: z.string(),
  lastBackupAt: z.string().nullable(),
  /** Never backed up, or not within staleAfterDays (the exit code says which: 6 or 5). */
  stale: z.boolean(),
  lastScrub: LastScrub.nullable(),
  scrubDue: z.boolean(),
  /** Backup on plug for the invoking user (the same answer as the window's switch). */
  autoBackup: AutoBackupState,
  /** When the passphrase was last proven (verify-key, restore open) and whether a rehearsal is due. */
  keyCheck: KeyCheck.optional(),
  targets: z.array(z.object({
    source: z.string(),
    target: z.string(),
    sourceNewest: z.string().nullable(),
    driveNewest: z.string().nullable(),
    missingOnDrive: z.number().int().nonnegative().nullable(),
    from: z.enum(['live', 'history', 'unknown']),
  })),
})

export const SnapshotsLine = z.object({
  source: z.string(),
  target: z.string(),
  driveNote: z.string().nullable(),
  snapshots: z.array(z.object({ name: z.string(), creation: z.number(), guid: z.string(), laptop: z.boolean(), drive: z.boolean().nullable() })),
})

/** A disk as `disks --json` prints it: the window's candidate, plus its device, its pools, and no by-id link for some disks. */
export const DiskLine = DiskCandidate.extend({
  byId: z.string().nullable(),
  device: z.string(),
  pools: z.array(z.object({ name: z.string().nullable(), guid: z.string().nullable(), imported: z.boolean(), configuredAs: z.string().nullable() })),
})

export const ScrubLastLine = z.object({ drive: z.string(), lastScrub: LastScrub.nullable(), scrubDue: z.boolean(), scrubEveryDays: z.number().int().positive() })
export const RestoreListLine = z.object({ target: z.string(), snapshot: z.string(), createdAt: z.string(), guid: z.string(), path: z.string() })
export const RestoreFileLine = z.object({ from: z.string(), to: z.string(), command: z.array(z.string()) })

/** Every kind of --json line, by the name of its schema file. */
export const CLI_JSON = {
  /** backup, eject, scrub, setup, adopt, restore open/close, verify-key */
  events: RunEvent,
  history: RunRecord,
  status: StatusLine,
  doctor: DoctorCheck,
  snapshots: SnapshotsLine,
  diff: DiffEntry,
  disks: DiskLine,
  'scrub-last': ScrubLastLine,
  /** delegation: per source, what the invoking user may do without root and what grant/revoke would run. */
  delegation: SourceDelegation.extend({ user: z.string(), root: z.boolean() }),
  'restore-list': RestoreListLine,
  'restore-file': RestoreFileLine,
} as const
export type CliJsonKind = keyof typeof CLI_JSON

/** The schema of one line of a kind, version included. */
export function lineSchema<K extends CliJsonKind>(kind: K) {
  return z.intersection(z.object({ schemaVersion: z.literal(CLI_JSON_VERSION) }), CLI_JSON[kind])
}

/** The published JSON Schema of a kind. */
export function jsonSchemaOf(kind: CliJsonKind): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `zfs-drive-backup/${kind}.schema.json`,
    title: `zfs-drive-backup --json: ${kind}, one per line (schemaVersion ${CLI_JSON_VERSION})`,
    ...z.toJSONSchema(lineSchema(kind), { io: 'output' }),
  }
}
