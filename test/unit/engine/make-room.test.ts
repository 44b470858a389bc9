// Making room on a full drive is offered, never done by itself: the offer names what the drive's
// retention removes at this backup anyway; --prune-first removes it before the transfer.
import { describe, expect, it } from 'vitest'
import { beforeSending, pruneOffer } from '../../../main/engine/make-room'
import { resolvePlan } from '../../../main/engine/plan'
import type { StepContext } from '../../../main/engine/pipeline'
import { configSchema } from '../../../main/config/schema'
import type { DatasetProperties } from '../../../main/system/zfs'

const listed = (ds: string, names: [string, string][]) => names.map(([n, g], i) => ({ name: `${ds}@${n}`, dataset: ds, snapshot: n, guid: g, createtxg: String(10 + i) }))
const props = (over: Partial<DatasetProperties> = {}): DatasetProperties => ({ name: 'x', encryption: 'aes-256-gcm', encrypted: true, keystatus: 'unavailable', keylocation: 'prompt', encryptionroot: 'x', readonly: true, snapdir: 'hidden', mountpoint: 'none', canmount: 'on', mounted: false, receiveResumeToken: null, raw: {}, ...over })
const a0 = ['a0', '1001'] as [string, string]
const a1 = ['a1', '1002'] as [string, string]
const b = ['b', '1003'] as [string, string]
// The laptop pruned a0 and took b; the drive still holds a0 and a1.
const plan = resolvePlan('rpool/home', 'bk/home', {
  listings: new Map([
    ['rpool/home', { exists: true, snapshots: listed('rpool/home', [a1, b]), bookmarks: [] }],
    ['bk/home', { exists: true, snapshots: listed('bk/home', [a0, a1]), bookmarks: [] }],
  ]),
  props: new Map([['rpool/home', props({ keystatus: 'available' })], ['bk/home', props()]]),
})
const config = configSchema.parse({ version: 1, sources: [{ dataset: 'rpool/home' }], drives: [{ name: 'T7', pool: 'bk', poolGuid: '1', disk: '/dev/disk/by-id/usb-x', targets: { 'rpool/home': 'bk/home' } }] })
const drive = config.drives[0]!

function ctx(): { ctx: StepContext; ran: string[][]; infos: string[] } {
  const ran: string[][] = []
  const infos: string[] = []
  return {
    ran, infos,
    ctx: { runner: { run: async (argv) => (ran.push([...argv]), { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 0 }) }, signal: new AbortController().signal, progress: () => undefined, info: (m) => infos.push(m), warn: () => undefined, emit: () => undefined, fail: () => undefined },
  }
}

describe('room on a full drive', () => {
  it('offers what the retention removes anyway, with the flag, and destroys nothing', async () => {
    const c = ctx()
    expect(await pruneOffer(c.ctx, { config, drive, plans: [plan], dryRun: false, pruneFirst: false })).toBe('The drive\'s retention (mirror the laptop) removes one snapshot at this backup anyway, after the transfer (bk/home@a0): back up with --prune-first to remove it before sending instead.')
    expect(c.ran).toEqual([])
  })

  it('offers nothing when the retention removes nothing (the newest common snapshot is never offered)', async () => {
    const c = ctx()
    const kept = { ...plan, targetSnapshots: plan.targetSnapshots.slice(1) }
    expect(await pruneOffer(c.ctx, { config, drive, plans: [kept], dryRun: false, pruneFirst: false })).toBeNull()
  })

  it('with --prune-first removes them before the transfer, and the plan goes on without them', async () => {
    const c = ctx()
    const [after] = await beforeSending(c.ctx, { config, drive, plans: [plan], dryRun: false, pruneFirst: true })
    expect(c.ran).toEqual([['zfs', 'destroy', 'bk/home@a0']])
    expect(after!.targetSnapshots.map((s) => s.snapshot)).toEqual(['a1'])
    expect(after!.transfers).toEqual(plan.transfers)
    const none = ctx()
    await beforeSending(none.ctx, { config, drive, plans: [plan], dryRun: false, pruneFirst: false })
    expect(none.ran).toEqual([])
  })
})
