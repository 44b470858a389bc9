// The quiet "time to rehearse your passphrase" notification: only while the drive is plugged in and its
// key check is due, at most once a day per drive.
import { describe, expect, it } from 'vitest'
import { KeyReminders } from '../../../main/app/key-reminders'
import { contentFor } from '../../../main/services/notifications/content'
import type { KeyCheckStatus } from '../../../main/engine/key-check'

const DAY = 86_400_000

describe('key rehearsal reminders', () => {
  it('notify a connected drive whose check is due, once a day; never an absent one or one not due', () => {
    let now = 0
    const told: [string, number | null][] = []
    const status: Record<string, KeyCheckStatus> = {
      T7: { lastProvenAt: null, days: 120, due: true, everyDays: 90 },
      Away: { lastProvenAt: null, days: 120, due: true, everyDays: 90 },
      Fresh: { lastProvenAt: '2026-11-30T00:00:00.000Z', days: 1, due: false, everyDays: 90 },
    }
    const r = new KeyReminders({ notifier: { keyCheck: async (d, days) => void told.push([d, days]) }, now: () => now, status: (d) => status[d], connected: (d) => d !== 'Away' })
    r.check(['T7', 'Away', 'Fresh'])
    r.check(['T7'])
    expect(told).toEqual([['T7', 120]])
    now += DAY
    r.check(['T7'])
    expect(told).toHaveLength(2)
  })

  it('is quiet: low urgency, no button, says what to do', () => {
    const c = contentFor('key-check', 'T7', { days: 120, buttons: true })
    expect(c).toMatchObject({ summary: 'Time to rehearse your passphrase', urgency: 0, backupButton: false })
    expect(c.body).toContain('Not proven for 120 days')
  })
})
