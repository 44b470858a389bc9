// The no-op skip: a run with nothing new lists nothing, and never skips when it cannot be sure.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { nothingChanged, recordVerified, trustworthyChanged, unchangedPlans, type ChangeReading } from '../../../main/engine/noop'
import type { Runner } from '../../../main/system/runner'
import type { StepContext } from '../../../main/engine/pipeline'
import { verifyTargets } from '../../../main/engine/replicate'
import { parseDatasetProperties } from '../../../main/system/zfs'
import { forgetVerified, readVerified, writeVerified, type VerifiedPair } from '../../../main/engine/verified-state'
import { parseSnapshotsChanged, snapshotsChangedArgv } from '../../../main/system/snapshots-changed'

const last: VerifiedPair = { source: 'rpool/home', target: 'backup/home', sourceChanged: 1795757100, targetChanged: 1795757200, snapshot: 'autosnap_x', guid: '18446744073709551001', at: '2026-11-27T01:00:00.000Z' }

describe('nothing changed since the last verified run', () => {
  it('when both sides\' snapshots_changed equal what that run recorded', () => {
    expect(nothingChanged(last, 'backup/home', { source: 1795757100, target: 1795757200 })).toBe(true)
  })

  it('not when either side moved, the target is another, or anything is unknown', () => {
    expect(nothingChanged(last, 'backup/home', { source: 1795757101, target: 1795757200 })).toBe(false)
    expect(nothingChanged(last, 'backup/home', { source: 1795757100, target: 1795757300 })).toBe(false)
    expect(nothingChanged(last, 'backup/other', { source: 1795757100, target: 1795757200 })).toBe(false)
    expect(nothingChanged(undefined, 'backup/home', { source: 1, target: 2 })).toBe(false)
    expect(nothingChanged({ ...last, sourceChanged: null }, 'backup/home', { source: null, target: 1795757200 })).toBe(false)
  })

  it('a value read in its own second is not recorded (a snapshot later in that second would not move it)', () => {
    expect(trustworthyChanged(1795757100, 1795757101)).toBe(1795757100)
    expect(trustworthyChanged(1795757100, 1795757100)).toBeNull()
    expect(trustworthyChanged(1795757102, 1795757100)).toBeNull()
    expect(trustworthyChanged(null, 1795757100)).toBeNull()
  })
})

describe('the record of verified runs', () => {
  it('is kept per drive and pair, private to its owner, and survives a damaged file as "nothing known"', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'zdb-verified-')), 'state', 'verified.json')
    expect(readVerified(path, '1')).toEqual({})
    writeVerified(path, '1', [last])
    writeVerified(path, '2', [{ ...last, guid: '5' }])
    expect(readVerified(path, '1')).toEqual({ 'rpool/home': last })
    expect(readVerified(path, '2')['rpool/home']?.guid).toBe('5')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    forgetVerified(path, '1', ['rpool/home'])
    expect(readVerified(path, '1')).toEqual({})
    writeFileSync(path, '{"version":1,"drives":{"1":{"rpool/home":{"source":3}}}}')
    expect(readVerified(path, '1')).toEqual({})
    expect(readFileSync(path, 'utf8')).toContain('"source":3')
  })
})

describe('snapshots_changed', () => {
  it('is read for both datasets in one zfs get', () => {
    expect(snapshotsChangedArgv(['rpool/home', 'backup/home'])).toEqual(['zfs', 'get', '-Hp', '-o', 'name,property,value,source', 'snapshots_changed', 'rpool/home', 'backup/home'])
    const m = parseSnapshotsChanged('rpool/home\tsnapshots_changed\t1795757136\t-\nbackup/home\tsnapshots_changed\t-\t-\n')
    expect([...m]).toEqual([['rpool/home', 1795757136], ['backup/home', null]])
  })
})

describe('verifying a run that found nothing changed', () => {
  const props = (keystatus: string) => {
    const rows = ['rpool/home\tencryption\taes-256-gcm\t-', 'rpool/home\tkeystatus\tavailable\t-', 'backup/home\tencryption\taes-256-gcm\t-', `backup/home\tkeystatus\t${keystatus}\t-`].join('\n')
    return new Map(['rpool/home', 'backup/home'].map((d) => [d, parseDatasetProperties(rows, d)]))
  }
  const ctx = (ran: string[][], infos: string[]): StepContext => ({
    runner: { run: async (argv) => (ran.push([...argv]), { argv, exitCode: 0, stdout: '', stderr: '', durationMs: 1 }) },
    signal: new AbortController().signal, progress: () => undefined, info: (m) => void infos.push(m), warn: () => undefined, emit: () => undefined, fail: () => undefined,
  })

  it('checks the plan\'s own zfs get: no command, the verified snapshot named, and a key loaded on the drive still fails it', async () => {
    const reading = { second: 1795757300, changed: new Map([['rpool/home', 1795757100], ['backup/home', 1795757200]]), tokens: new Set<string>(), props: props('unavailable') }
    const plans = unchangedPlans([{ source: 'rpool/home', target: 'backup/home' }], { 'rpool/home': last }, reading)!
    const ran: string[][] = []
    const infos: string[] = []
    await verifyTargets(ctx(ran, infos), plans, true, reading.props)
    expect(ran).toEqual([])
    expect(infos).toEqual(['backup/home: aes-256-gcm, key not on the drive, @autosnap_x guid 18446744073709551001 matches (no snapshot changed on either side since the last verified backup)'])
    await expect(verifyTargets(ctx(ran, infos), plans, true, props('available'))).rejects.toMatchObject({ code: 'verify-failed' })
  })
})

describe('recording what a run verified', () => {
  const plan = unchangedPlans([{ source: 'rpool/home', target: 'backup/home' }], { 'rpool/home': last }, {
    second: 1795757300, changed: new Map([['rpool/home', 1795757100], ['backup/home', 1795757200]]), tokens: new Set<string>(), props: new Map([['rpool/home', parseDatasetProperties('rpool/home\tencryption\taes-256-gcm\t-', 'rpool/home')]]),
  })!
  const reading = (second: number, source: number, target: number): ChangeReading => ({ second, changed: new Map([['rpool/home', source], ['backup/home', target]]), tokens: new Set(), props: new Map() })
  const runner = (ran: string[][], target: () => number): Runner => ({
    run: async (argv) => (ran.push([...argv]), { argv, exitCode: 0, stdout: `backup/home\tsnapshots_changed\t${target()}\t-\n`, stderr: '', durationMs: 1 }),
  })

  it('uses verify\'s own reading when its second had passed: no command', async () => {
    const ran: string[][] = []
    const path = join(mkdtempSync(join(tmpdir(), 'zdb-rec-')), 'verified.json')
    const [pair] = await recordVerified(runner(ran, () => 0), path, '222', plan, reading(1795757300, 1795757100, 1795757200), reading(1795757301, 1795757100, 1795757250))
    expect(ran).toEqual([])
    expect(pair).toMatchObject({ sourceChanged: 1795757100, targetChanged: 1795757250 })
  })

  it('a target changed in the second verify read it is read once more, only the target, after that second', async () => {
    const ran: string[][] = []
    const path = join(mkdtempSync(join(tmpdir(), 'zdb-rec-')), 'verified.json')
    const now = Math.floor(Date.now() / 1000)
    const t0 = Date.now()
    const [pair] = await recordVerified(runner(ran, () => now), path, '222', plan, reading(now - 10, now - 20, now - 15), reading(now, now - 20, now))
    expect(Date.now()).toBeGreaterThanOrEqual((now + 1) * 1000)
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(ran).toEqual([['zfs', 'get', '-Hp', '-o', 'name,property,value,source', 'snapshots_changed', 'backup/home']])
    expect(pair).toMatchObject({ sourceChanged: now - 20, targetChanged: now })
  })

  it('a source that moved after the plan read it (sanoid took a snapshot) is not recorded as sent', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'zdb-rec-')), 'verified.json')
    const [pair] = await recordVerified(runner([], () => 0), path, '222', plan, reading(1795757300, 1795757100, 1795757200), reading(1795757400, 1795757350, 1795757250))
    expect(pair!.sourceChanged).toBeNull()
  })
})
