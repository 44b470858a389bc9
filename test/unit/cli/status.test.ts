// `zfs-drive-backup status` for monitoring: its exit code says whether every drive is within
// staleAfterDays (0), one is overdue (5) or one was never backed up (6). Runs on a host without ZFS:
// the laptop side reads as unknown, which does not change what the history says.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../../../main/cli/index'

const DAY = 86400_000

function files(drives: string[], backups: Record<string, number>) {
  const dir = mkdtempSync(join(tmpdir(), 'zdb-status-'))
  const configPath = join(dir, 'config.json')
  const historyPath = join(dir, 'history.jsonl')
  writeFileSync(configPath, JSON.stringify({
    version: 1, staleAfterDays: 7, sources: [{ dataset: 'rpool/home' }],
    drives: drives.map((name, i) => ({ name, pool: `bk${i}`, poolGuid: String(1000 + i), disk: `/dev/disk/by-id/usb-Nope_${i}`, targets: { 'rpool/home': `bk${i}/home` } })),
  }))
  writeFileSync(historyPath, Object.entries(backups).map(([drive, ageDays], i) => {
    const at = new Date(Date.now() - ageDays * DAY).toISOString()
    return JSON.stringify({ id: `r${i}`, verb: 'backup', drive, startedAt: at, finishedAt: at, outcome: 'succeeded', durationMs: 1, bytes: 1, steps: [], warnings: [], error: null, replicated: [] })
  }).join('\n') + '\n')
  return ['--config', configPath, '--history', historyPath]
}

async function status(args: string[]) {
  let out = ''
  const code = await main(['status', ...args], { out: (t) => void (out += t), err: (t) => void (out += t), isTty: false }, new AbortController().signal)
  return { code, out }
}

describe('status exit codes', () => {
  it('0 when every drive was backed up within staleAfterDays', async () => {
    expect((await status(files(['T7', 'Elements'], { T7: 1, Elements: 6 }))).code).toBe(0)
  })

  it('5 when a drive is overdue, and it says so', async () => {
    const r = await status(files(['T7', 'Elements'], { T7: 1, Elements: 9 }))
    expect(r.code).toBe(5)
    expect(r.out).toMatch(/Elements .*due \(older than 7 days\)/)
  })

  it('6 when a drive was never backed up, even if another is overdue', async () => {
    expect((await status(files(['T7', 'Elements'], { T7: 30 }))).code).toBe(6)
  })

  it('6 when no drive is configured: nothing is protected', async () => {
    expect((await status(files([], {}))).code).toBe(6)
  })
})
