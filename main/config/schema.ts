// The app's configuration (config.json, version 1). Every name that ends up in a root command is validated
// here with the OpenZFS rules (main/system/names.ts), so a bad config fails at load, naming the field.
//
// Drives and sources: a drive holds one backup pool; `targets` maps each source dataset it backs up to the
// dataset inside that pool that receives it, e.g. { "rpool/home": "backup/home", "rpool/work": "backup/work" }.
// A drive need not back up every source; a source may go to several drives.
import { z } from 'zod'
import { byIdPathSchema, datasetNameSchema, poolNameRule, poolNameSchema, typeError } from '../system/names'
import { isUint64 } from '../system/tabular'

export const CONFIG_VERSION = 1

export const poolGuidSchema = z
  .string({ error: typeError('a decimal pool GUID (a string, e.g. "16412717767768173259")') })
  .refine(isUint64, 'must be a decimal pool GUID')

export const sourceSchema = z.strictObject({
  dataset: datasetNameSchema,
  /** Off by default: an unencrypted source sent raw lands unencrypted on a drive that leaves the house. */
  allowUnencrypted: z.boolean().default(false),
  /**
   * Off by default (the guide sends sanoid's snapshots only): the backup first takes a snapshot of its own,
   * zfs-drive-backup_<UTC time>, which sanoid never prunes and the app does (main/engine/app-snapshots.ts).
   */
  snapshotBeforeBackup: z.boolean().default(false),
})

const keepCount = z.union([z.number({ error: typeError('a number of snapshots or "all"') }).int('must be a whole number').min(0, 'must be at least 0').max(100_000, 'must be at most 100000'), z.literal('all')])

/** A keep policy by snapshot time (main/engine/retention.ts): per period, how many to keep, or "all". */
export const keepPolicySchema = z
  .strictObject({ hourly: keepCount.optional(), daily: keepCount.optional(), weekly: keepCount.optional(), monthly: keepCount.optional(), yearly: keepCount.optional() })
  .refine((p) => Object.values(p).some((v) => v === 'all' || (v ?? 0) > 0), 'must keep at least one period (e.g. { "daily": 30 })')

/** "mirror": the drive drops what the laptop pruned (the guide's syncoid --delete-target-snapshots). */
export const retentionSchema = z.union([z.literal('mirror'), keepPolicySchema], { error: 'must be "mirror" or a keep policy like { "hourly": 24, "daily": 30, "weekly": 8, "monthly": 12, "yearly": "all" }' })

export const driveSchema = z.strictObject({
  name: z.string({ error: typeError('a text') }).trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
  pool: poolNameSchema,
  poolGuid: poolGuidSchema,
  /** The whole-disk /dev/disk/by-id link, for power-off. */
  disk: byIdPathSchema,
  targets: z.record(datasetNameSchema, datasetNameSchema),
  /**
   * Back up headless whenever this drive is plugged in, with no app running: `zfs-drive-backup auto
   * enable` (root) installs the udev rule and systemd service; the service runs only while this is true.
   */
  autoBackup: z.boolean().optional(),
  /** Absent means "mirror". */
  retention: retentionSchema.optional(),
})

export const replicationSchema = z
  .strictObject({
    /**
     * "native": the app's own `zfs send -w | zfs receive -s -u` (the default: no perl, no shell, one pipe).
     * "syncoid": the guide's syncoid command, to the letter (fenced: see main/engine/replicate.ts).
     */
    engine: z.enum(['native', 'syncoid']).default('native'),
    raw: z.boolean().default(true),
    /** syncoid only: its --compress (a raw stream is already compressed as it is on disk). */
    compress: z.enum(['none', 'gzip', 'pigz-fast', 'pigz-slow', 'zstd-fast', 'zstd-slow', 'lz4', 'xz', 'lzo']).default('none'),
    /** Remove snapshots from the drive that the laptop has pruned; always done by the app itself. */
    deleteTargetSnapshots: z.boolean().default(true),
    noSyncSnap: z.boolean().default(true),
    noRollback: z.boolean().default(true),
  })
  .superRefine((r, ctx) => {
    // The native engine never takes snapshots of its own and never rolls the drive back.
    if (r.engine === 'native' && !r.noSyncSnap) ctx.addIssue({ code: 'custom', path: ['noSyncSnap'], message: 'must be true with engine "native" (it sends only existing snapshots); use engine "syncoid" for sync snapshots' })
    if (r.engine === 'native' && !r.noRollback) ctx.addIssue({ code: 'custom', path: ['noRollback'], message: 'must be true with engine "native" (it never rolls the drive back); use engine "syncoid" for that' })
  })

export const afterBackupSchema = z.strictObject({
  export: z.boolean().default(true),
  powerOff: z.boolean().default(true),
})

const days = (fallback: number) => z.number({ error: typeError('a number of days') }).int('must be a whole number of days').positive('must be at least 1').max(3650, 'must be at most 3650').default(fallback)

export const configSchema = z
  .strictObject({
    version: z.literal(CONFIG_VERSION, { error: `must be ${CONFIG_VERSION} (the only config version this app knows)` }),
    sources: z.array(sourceSchema).default([]),
    drives: z.array(driveSchema).default([]),
    // prefault: the {} goes through the schema, so its field defaults apply (a plain default would not).
    replication: replicationSchema.prefault({}),
    afterBackup: afterBackupSchema.prefault({}),
    staleAfterDays: days(7),
    scrubEveryDays: days(30),
    /** After this many days without proving the passphrase (verify-key), the app suggests a rehearsal. */
    keyCheckEveryDays: days(90),
    autoBackupOnConnect: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    const sources = new Set<string>()
    c.sources.forEach((s, i) => {
      if (sources.has(s.dataset)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'dataset'], message: `${s.dataset} is listed twice` })
      sources.add(s.dataset)
    })
    const names = new Set<string>()
    const guids = new Set<string>()
    c.drives.forEach((d, i) => {
      if (names.has(d.name)) ctx.addIssue({ code: 'custom', path: ['drives', i, 'name'], message: `another drive is already called "${d.name}"` })
      if (guids.has(d.poolGuid)) ctx.addIssue({ code: 'custom', path: ['drives', i, 'poolGuid'], message: 'another drive already has this pool GUID' })
      names.add(d.name)
      guids.add(d.poolGuid)
      const targets = new Set<string>()
      for (const [source, target] of Object.entries(d.targets)) {
        const path = ['drives', i, 'targets', source]
        if (!sources.has(source)) ctx.addIssue({ code: 'custom', path, message: `${source} is not one of the configured sources` })
        // Receiving into the pool root would replace the pool's own dataset; a child keeps them apart.
        // (zod still runs this check when the pool name itself failed; one message about the pool is enough.)
        if (poolNameRule(d.pool) === undefined && !target.startsWith(`${d.pool}/`)) ctx.addIssue({ code: 'custom', path, message: `must be a dataset inside pool ${d.pool} (like ${d.pool}/data)` })
        if (targets.has(target)) ctx.addIssue({ code: 'custom', path, message: `${target} already receives another source` })
        targets.add(target)
      }
    })
    if (c.afterBackup.powerOff && !c.afterBackup.export) {
      ctx.addIssue({ code: 'custom', path: ['afterBackup', 'powerOff'], message: 'requires export: true (a drive with an imported pool must not lose power)' })
    }
  })

/** The config as the app uses it: every default filled in. */
export type Config = z.output<typeof configSchema>
/** The config as written in config.json: defaulted fields may be left out. */
export type ConfigInput = z.input<typeof configSchema>
export type SourceConfig = Config['sources'][number]
export type DriveConfig = Config['drives'][number]
export type ReplicationConfig = Config['replication']
export type AfterBackupConfig = Config['afterBackup']

/** A config with nothing configured yet (first start). */
export function emptyConfig(): Config {
  return configSchema.parse({ version: CONFIG_VERSION })
}
