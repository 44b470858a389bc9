// Issue 15's engine parts without ZFS: what delegation reads and runs (a scripted runner answering with
// output captured in the VM), the app's snapshot names and pruning, hand-snapshot names, key rehearsal.
import { describe, expect, it } from 'vitest'
import { fixture } from '../system/fixtures'
import { configSchema } from '../../../main/config/schema'
import { delegationChecks, readDelegation } from '../../../main/engine/delegation'
import { appSnapshotName, appSnapshotsToPrune, isAppSnapshot } from '../../../main/engine/app-snapshots'
import { withSnapshotNow } from '../../../main/engine/snapshot-now-steps'
import { backupSteps } from '../../../main/engine/backup'
import { configuredSnapshot, handSnapshotNameRule } from '../../../main/engine/hand-snapshot'
import { keyCheckStatus } from '../../../main/engine/key-check'
import type { Runner } from '../../../main/system/runner'
import type { RunRecord } from '../../../shared/run-record'

const captured = (name: string): string => fixture(`delegation/${name}.txt`).split('\n').filter((l) => !l.startsWith('# ')).join('\n')
const config = configSchema.parse({ version: 1, sources: [{ dataset: 'deleg/home' }, { dataset: 'deleg/work', snapshotBeforeBackup: true }] })
const manuel = { name: 'manuel', uid: 1001, gid: 1001, home: '/home/manuel' }

function scripted(answers: Record<string, string>): Runner & { ran: string[][] } {
  const ran: string[][] = []
  return {
    ran,
    async run(argv) {
      ran.push([...argv])
      const key = argv.join(' ')
      return { stdout: answers[key] ?? '', stderr: '', exitCode: 0, durationMs: 1 }
    },
  } as Runner & { ran: string[][] }
}

describe('delegation', () => {
  it('names what is missing per source, and the exact command a grant runs', async () => {
    const runner = scripted({ 'id -Gn -- manuel': 'manuel\n', 'zfs allow deleg/home': captured('zfs-allow-user'), 'zfs allow deleg/work': captured('zfs-allow-none') })
    const r = await readDelegation(runner, config, manuel)
    expect(r.sources).toEqual([
      { dataset: 'deleg/home', held: ['diff', 'mount'], missing: [], revocable: ['diff'], grant: null, revoke: ['zfs', 'unallow', '-u', 'manuel', 'diff', 'deleg/home'] },
      { dataset: 'deleg/work', held: [], missing: ['diff'], revocable: [], grant: ['zfs', 'allow', '-u', 'manuel', 'diff', 'deleg/work'], revoke: null },
    ])
    const checks = delegationChecks(r)
    expect(checks.map((c) => [c.id, c.ok])).toEqual([['delegation:deleg/home', true], ['delegation:deleg/work', false]])
    expect(checks[1]!.detail).toMatch(/missing "diff" \(zfs diff/)
    expect(checks[1]!.fix?.debian).toContain('zfs allow -u manuel diff deleg/work')
    // Only reads: the check changes nothing.
    expect(runner.ran.every((a) => a[0] === 'id' || (a[0] === 'zfs' && a[1] === 'allow' && a.length === 3))).toBe(true)
  })

  it('root needs none, and a source outside the config is refused', async () => {
    const r = await readDelegation(scripted({}), config, { ...manuel, name: 'root', uid: 0 })
    expect(r.root).toBe(true)
    expect(r.sources.every((s) => s.grant === null && s.missing.length === 0)).toBe(true)
    await expect(readDelegation(scripted({}), config, manuel, 'rpool/other')).rejects.toThrow(/not a configured source/)
  })
})

describe('snapshot before backing up', () => {
  it('is named so sanoid never prunes it (not autosnap…, not …ly) and the app recognises its own', () => {
    const name = appSnapshotName(new Date('2026-12-01T23:59:07.123Z'))
    expect(name).toBe('zfs-drive-backup_2026-12-01_23:59:07')
    expect(name.startsWith('autosnap')).toBe(false)
    expect(/ly$/.test(name)).toBe(false)
    expect(isAppSnapshot(name)).toBe(true)
    expect(isAppSnapshot('autosnap_2026-12-01_23:00:00_hourly')).toBe(false)
    expect(isAppSnapshot('zfs-drive-backup_mine')).toBe(false)
  })

  it('the app keeps only its newest snapshot; sanoid\'s and hand-made ones are not its business', () => {
    expect(appSnapshotsToPrune(['autosnap_a_hourly', 'zfs-drive-backup_2026-12-01_10:00:00', 'before-upgrade', 'zfs-drive-backup_2026-12-01_11:00:00'])).toEqual(['zfs-drive-backup_2026-12-01_10:00:00'])
    expect(appSnapshotsToPrune(['zfs-drive-backup_2026-12-01_10:00:00'])).toEqual([])
  })

  it('adds its two steps only when a source of the drive asks for it: otherwise the guide\'s backup, step for step', () => {
    const drive = { name: 'T7', pool: 'backup', poolGuid: '1', disk: '/dev/disk/by-id/usb-x', targets: { 'deleg/home': 'backup/home' } }
    expect(withSnapshotNow(backupSteps, config, drive).map((s) => s.id)).toEqual(backupSteps.map((s) => s.id))
    const ids = withSnapshotNow(backupSteps, config, { ...drive, targets: { 'deleg/work': 'backup/work' } }).map((s) => s.id)
    expect(ids.slice(0, 2)).toEqual(['preflight', 'snapshot-now'])
    expect(ids.indexOf('prune-app-snapshots')).toBe(ids.indexOf('keep-base') + 1)
  })
})

describe('snapshots by hand', () => {
  it('refuses names that sanoid or the app would prune, and anything not a snapshot of a configured source', () => {
    expect(handSnapshotNameRule('before-upgrade')).toBeNull()
    expect(handSnapshotNameRule('autosnap_2026_daily')).toMatch(/sanoid/)
    expect(handSnapshotNameRule('zfs-drive-backup_x')).toMatch(/the app/)
    expect(handSnapshotNameRule('a,b')).toMatch(/not allowed/)
    expect(handSnapshotNameRule('a/b')).toMatch(/'\/'/)
    expect(configuredSnapshot(config, 'deleg/home@x')).toEqual({ source: 'deleg/home', name: 'x' })
    expect(() => configuredSnapshot(config, 'deleg/home/child@x')).toThrow(/not a configured source/)
    expect(() => configuredSnapshot(config, 'deleg/home')).toThrow(/not a snapshot/)
    expect(() => configuredSnapshot(config, 'deleg/home@a%b')).toThrow(/not a snapshot/)
  })
})

describe('key rehearsal', () => {
  const run = (verb: RunRecord['verb'], at: string, outcome: RunRecord['outcome'] = 'succeeded'): RunRecord => ({ id: at, verb, drive: 'T7', startedAt: at, finishedAt: at, outcome, durationMs: 1, bytes: 0, steps: [], warnings: [], error: null, replicated: [] })
  const now = Date.parse('2026-12-01T12:00:00Z')

  it('is due after the interval since the last proof, and not before', () => {
    expect(keyCheckStatus([run('verify-key', '2026-09-01T12:00:00Z')], 'T7', 90, now)).toEqual({ lastProvenAt: '2026-09-01T12:00:00.000Z', days: 91, due: true, everyDays: 90 })
    expect(keyCheckStatus([run('verify-key', '2026-09-01T12:00:00Z'), run('restore-open', '2026-11-30T12:00:00Z')], 'T7', 90, now)).toMatchObject({ days: 1, due: false })
    // A failed check proves nothing.
    expect(keyCheckStatus([run('verify-key', '2026-09-01T12:00:00Z'), run('verify-key', '2026-11-30T12:00:00Z', 'failed')], 'T7', 90, now).due).toBe(true)
  })

  it('never proven: counts from the drive\'s first use; no history, no reminder', () => {
    expect(keyCheckStatus([run('setup', '2026-11-20T12:00:00Z')], 'T7', 90, now)).toMatchObject({ lastProvenAt: null, days: 11, due: false })
    expect(keyCheckStatus([run('setup', '2026-01-20T12:00:00Z'), run('backup', '2026-11-30T12:00:00Z')], 'T7', 90, now)).toMatchObject({ lastProvenAt: null, due: true })
    expect(keyCheckStatus([], 'T7', 90, now)).toMatchObject({ days: null, due: false })
  })
})
