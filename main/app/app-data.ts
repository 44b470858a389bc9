// What the app knows between runs: the user's config, the run history, and the snapshot listings the
// drive cards are computed from. Loaded at start and refreshed after each run; every read goes through
// the engine's queries.
import { RunRecord as RunRecordSchema, type RunRecord } from '../../shared/run-record'
import { ConfigError, loadConfig } from '../config/load'
import { emptyConfig, type Config, type DriveConfig } from '../config/schema'
import { readKeptBases, readSourceSnapshots, readTargetSnapshots, type DriveFacts } from '../engine/drive-status'
import { appendRun, readRuns } from '../history/store'
import type { Runner } from '../system/runner'
import type { SnapshotInfo } from '../system/zfs'

/** History lines that do not match the schema (an older or damaged file) are left out. */
export function validRuns(runs: readonly unknown[]): RunRecord[] {
  return runs.flatMap((r) => {
    const p = RunRecordSchema.safeParse(r)
    return p.success ? [p.data] : []
  })
}

export class AppData {
  config: Config = emptyConfig()
  configExists = false
  /** Newest first. */
  history: RunRecord[] = []
  /** What was wrong with the config or history at the last load, one sentence each (shown in the window). */
  problems: string[] = []
  private sourceSnapshots = new Map<string, SnapshotInfo[]>()
  /** Per drive whose pool is imported: its snapshots per target. */
  private driveSnapshots = new Map<string, Map<string, SnapshotInfo[]>>()
  /** The sources' bookmarks and full-send sizes: what each drive's next backup starts from. */
  private keptBases: Pick<DriveFacts, 'bookmarks' | 'fullBytes'> = {}

  constructor(private readonly o: { configPath: string; historyPath: string; runner: Runner; log: (m: string) => void }) {}

  get configured(): boolean {
    return this.configExists && this.config.drives.length > 0
  }

  drive(name: string): DriveConfig | null {
    return this.config.drives.find((d) => d.name === name) ?? null
  }

  /** The app starts whatever the state of its files: what is wrong is noted, never thrown. */
  async load(): Promise<void> {
    this.problems = []
    const note = (message: string): void => {
      this.o.log(message)
      this.problems.push(message)
    }
    try {
      const loaded = await loadConfig(this.o.configPath)
      this.config = loaded.config
      this.configExists = loaded.exists
    } catch (err) {
      note(`The config could not be loaded: ${err instanceof ConfigError ? err.message.replace(/\s*\n\s*/g, '; ') : String(err)}`)
      this.config = emptyConfig()
      this.configExists = false
    }
    this.history = validRuns(await readRuns(this.o.historyPath, 500, note).catch((err: unknown) => (note(`The history could not be read: ${String(err)}`), [])))
  }

  setConfig(config: Config): void {
    this.config = config
    this.configExists = true
  }

  /** Appends a finished run to the history file; false when the file could not be written. */
  async addRun(record: RunRecord): Promise<boolean> {
    let written = true
    try {
      await appendRun(record, this.o.historyPath)
    } catch (err) {
      written = false
      this.o.log(`could not write history to ${this.o.historyPath}: ${String(err)}`)
    }
    this.history.unshift(record)
    return written
  }

  /** Source snapshots, and the drive's side of every imported drive (zfs list works unprivileged). */
  async refreshSnapshots(isImported: (drive: string) => boolean): Promise<void> {
    this.sourceSnapshots = await readSourceSnapshots(this.o.runner, this.config.sources.map((s) => s.dataset))
    this.keptBases = await readKeptBases(this.o.runner, [...this.sourceSnapshots.keys()])
    this.driveSnapshots.clear()
    for (const d of this.config.drives) {
      if (!isImported(d.name)) continue
      const byTarget = await readTargetSnapshots(this.o.runner, d).catch(() => null)
      if (byTarget) this.driveSnapshots.set(d.name, byTarget)
    }
  }

  facts(drive: string, imported: boolean): DriveFacts {
    return { source: this.sourceSnapshots, drive: imported ? (this.driveSnapshots.get(drive) ?? null) : null, ...this.keptBases }
  }
}
