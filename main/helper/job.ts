// The one job the privileged helper accepts, as a zod schema shared by the helper (which validates it as
// root) and the app's launcher (which builds it). A job names drives by their configured name only: pools,
// datasets and disks come from the config the helper loads and re-validates itself, never from the job.
import { z } from 'zod'
import type { Verb } from '../../shared/events'
import { byIdPathSchema, datasetNameSchema, poolNameSchema } from '../system/names'

/** The config file the helper reads: an absolute path to a .json file, nothing exotic in it. */
export const ConfigPath = z
  .string()
  .max(4096)
  .regex(/^\/[^\0\n\r]*\.json$/, 'configPath must be an absolute path to a .json file')
  .refine((p) => !p.split('/').includes('..'), 'configPath must not contain ".." components')

/** Same rule as the config's drive name. */
export const JobDriveName = z.string().trim().min(1).max(64).regex(/^[^\0\n\r]+$/, 'a drive name is one line')

const base = { configPath: ConfigPath }

export const Job = z.discriminatedUnion('verb', [
  z.strictObject({
    verb: z.literal('backup'), ...base, drive: JobDriveName, powerOff: z.boolean().optional(), dryRun: z.boolean().optional(),
    // A full drive: the retention's removals before the transfer. The laptop moved on: snapshot names the
    // user confirmed for discarding (the engine checks they are exactly those this app sent).
    pruneFirst: z.boolean().optional(),
    discard: z.array(z.string().min(1).max(255).regex(/^[A-Za-z0-9_.:-]+$/, 'a snapshot name')).max(1000).optional(),
  }),
  z.strictObject({ verb: z.literal('eject'), ...base, drive: JobDriveName, powerOff: z.boolean().optional() }),
  z.strictObject({ verb: z.literal('scrub'), ...base, drive: JobDriveName }),
  // setup formats a disk: the by-id path and the repeated confirmation are checked again by the engine.
  z.strictObject({ verb: z.literal('setup'), ...base, disk: byIdPathSchema, name: JobDriveName, confirm: z.string().max(4096) }),
  z.strictObject({ verb: z.literal('adopt'), ...base, pool: poolNameSchema, target: datasetNameSchema, name: JobDriveName, failmodeContinue: z.boolean().optional() }),
  // These two read the passphrase as the second line on stdin (never in the job line itself).
  z.strictObject({ verb: z.literal('restore-open'), ...base, drive: JobDriveName }),
  z.strictObject({ verb: z.literal('restore-close'), ...base, drive: JobDriveName }),
  z.strictObject({ verb: z.literal('verify-key'), ...base, drive: JobDriveName }),
  // Backup on plug on or off for the drive (the window's switch; the CLI's auto enable|disable).
  z.strictObject({ verb: z.literal('auto'), ...base, drive: JobDriveName, on: z.boolean() }),
  // Delegation is always the invoking user's (PKEXEC_UID/SUDO_UID) and the app's own permission set:
  // the job names neither a user nor a permission, at most which configured source.
  z.strictObject({ verb: z.literal('delegation-grant'), ...base, source: datasetNameSchema.optional() }),
  z.strictObject({ verb: z.literal('delegation-revoke'), ...base, source: datasetNameSchema.optional() }),
  // By hand (the guide's 10.3): a snapshot of a configured source only; delete repeats the snapshot's name.
  z.strictObject({ verb: z.literal('snapshot-create'), ...base, source: datasetNameSchema, name: z.string().min(1).max(200) }),
  z.strictObject({ verb: z.literal('snapshot-destroy'), ...base, snapshot: z.string().min(3).max(255), confirm: z.string().max(255) }),
])
export type Job = z.infer<typeof Job>
/** A job's verb is the kind of run it starts (shared/events.ts Verb): the two lists must stay one. */
export type JobVerb = Job['verb']
const sameVerbs: [JobVerb, Verb] extends [Verb, JobVerb] ? true : never = true
void sameVerbs

/** Verbs whose second stdin line is a passphrase. */
export const SECRET_VERBS: ReadonlySet<JobVerb> = new Set(['restore-open', 'verify-key'])

/** A job line longer than this is not a job. */
export const MAX_JOB_BYTES = 16 * 1024

/** The helper's exit codes. 126 and 127 are pkexec's own and never used by the helper. */
export const HELPER_EXIT = { ok: 0, failed: 1, invalidJob: 2, notAvailable: 3, cancelled: 130 } as const
