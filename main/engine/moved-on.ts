// The laptop moved on: the drive's newest snapshots are ones this app sent, and the laptop has destroyed
// them since (by hand, or a rollback). A receive without -F can only start from the target's newest
// snapshot, so ZFS allows one way forward: discard them from the drive, then send from the newest
// snapshot both still share. That is offered, never done silently: the user repeats the snapshots'
// names (--discard-from-drive), and a dry run shows it.
//
// "This app sent them" is proven by guids the app keeps on this machine, never by anything read from the
// drive: this drive's bookmark on the laptop and the last verified run's record. A snapshot older than
// a proven one, among those newer than the newest shared snapshot, was received in the same stream: a
// snapshot made on the drive in between would have made that receive fail. A snapshot newer than every
// proven one may have been made on the drive itself, and keeps the refusal ("target-diverged").
import type { ListedSnapshot } from '../system/zfs'
import { EngineError } from './errors'

/** The diverged snapshots when this app provably sent every one of them; null otherwise. Pure. */
export function sentByThisApp<T extends ListedSnapshot>(diverged: readonly T[], knownSent: ReadonlySet<string>): T[] | null {
  if (diverged.length === 0) return null
  return knownSent.has(diverged.at(-1)!.guid) ? [...diverged] : null
}

/** Whether the names the user typed are exactly these snapshots (order and a leading @ do not matter). */
export function discardConfirmed(typed: readonly string[] | undefined, snapshots: readonly ListedSnapshot[]): boolean {
  if (!typed || typed.length === 0) return false
  const want = new Set(snapshots.map((s) => s.snapshot))
  const got = new Set(typed.map((t) => t.trim().replace(/^@/, '')).filter(Boolean))
  return got.size === want.size && [...want].every((n) => got.has(n))
}

const names = (xs: readonly ListedSnapshot[]): string => xs.map((s) => `@${s.snapshot}`).join(', ')

export function movedOnError(source: string, target: string, gone: readonly ListedSnapshot[], common: string, typed: readonly string[] | undefined): EngineError {
  const it = gone.length === 1 ? 'it' : 'them'
  const list = gone.map((s) => s.snapshot).join(',')
  const message = `The laptop has destroyed ${names(gone)} of ${source} since this app sent ${it} to the drive, so the drive is ahead of the laptop. ZFS can only continue from @${common}, the newest snapshot both still have.`
  if (typed?.length) {
    return new EngineError('discard-mismatch', `${message} --discard-from-drive named ${typed.join(',')}, which is not exactly ${it}.`, `Repeat the names exactly: --discard-from-drive ${list}`)
  }
  return new EngineError('laptop-moved-on', message, `The one way forward is to discard ${it} from ${target} (the drive keeps everything older): back up with --discard-from-drive ${list} (add --dry-run to see what it does first).`)
}
