// The history file: a torn last line never swallows the next record, a `null` or foreign line is
// skipped with a warning (never a TypeError), an unreadable file reads as empty with a warning, and a
// root run appends to the user's file without following a symlink or changing its owner.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { appendRun, readRuns } from '../../../main/history/store'
import type { RunRecord } from '../../../shared/run-record'

const dir = mkdtempSync(join(tmpdir(), 'zdb-hist-'))
const record = (id: string): RunRecord => ({ id, verb: 'backup', drive: 'T7', startedAt: '2026-11-27T10:00:00.000Z', finishedAt: '2026-11-27T10:01:00.000Z', outcome: 'succeeded', durationMs: 60000, bytes: 1, steps: [], warnings: [], error: null, replicated: [] })
const root = process.getuid?.() === 0

describe('history lines', () => {
  it('a torn last line (a crash mid-write) does not swallow the next record', async () => {
    const p = join(dir, 'torn.jsonl')
    writeFileSync(p, JSON.stringify(record('a')) + '\n' + JSON.stringify(record('b')).slice(0, 40))
    await appendRun(record('c'), p)
    const warnings: string[] = []
    expect((await readRuns(p, 10, (w) => warnings.push(w))).map((r) => r.id)).toEqual(['c', 'a'])
    expect(warnings).toEqual([expect.stringMatching(/skipped 1 damaged line/)])
  })

  it('a `null` line, a number and an object that is no run are skipped, not a TypeError', async () => {
    const p = join(dir, 'null.jsonl')
    writeFileSync(p, ['null', '42', '{"verb":"backup"}', JSON.stringify(record('ok'))].join('\n') + '\n')
    const warnings: string[] = []
    expect((await readRuns(p, 10, (w) => warnings.push(w))).map((r) => r.id)).toEqual(['ok'])
    expect(warnings).toEqual([expect.stringMatching(/skipped 3 damaged lines/)])
  })

  it('a history that is a folder reads as empty, with a warning', async () => {
    const p = join(dir, 'folder.jsonl')
    mkdirSync(p)
    const warnings: string[] = []
    expect(await readRuns(p, 10, (w) => warnings.push(w))).toEqual([])
    expect(warnings).toEqual([expect.stringMatching(/cannot read the history/)])
  })
})

describe.runIf(root)('root appending for a user', () => {
  const owner = { uid: 4242, gid: 4242 }

  it('refuses a history.jsonl that is a symlink to a root-only file, which stays untouched', async () => {
    const victim = join(dir, 'victim')
    writeFileSync(victim, 'root only\n', { mode: 0o600 })
    const p = join(dir, 'link.jsonl')
    symlinkSync(victim, p)
    await expect(appendRun(record('x'), p, owner)).rejects.toThrow(/is a symbolic link/)
    expect(readFileSync(victim, 'utf8')).toBe('root only\n')
  })

  it('creates the folders and the file as the user\'s; an existing file keeps its owner', async () => {
    const p = join(dir, 'u', '.local', 'state', 'zfs-drive-backup', 'history.jsonl')
    mkdirSync(join(dir, 'u'))
    chownSync(join(dir, 'u'), owner.uid, owner.gid)
    await appendRun(record('1'), p, owner)
    expect(statSync(p)).toMatchObject({ uid: 4242, gid: 4242 })
    expect(statSync(join(dir, 'u', '.local'))).toMatchObject({ uid: 4242 })
    chmodSync(p, 0o640)
    await appendRun(record('2'), p, owner)
    expect(statSync(p)).toMatchObject({ uid: 4242, mode: expect.any(Number) })
    expect(statSync(p).mode & 0o777).toBe(0o640)
    expect((await readRuns(p)).map((r) => r.id)).toEqual(['2', '1'])
  })

  it('refuses to append to a history that belongs to someone else', async () => {
    const p = join(dir, 'theirs.jsonl')
    writeFileSync(p, '', { mode: 0o600 })
    chownSync(p, 4343, 4343)
    await appendRun(record('0'), p, { uid: 4343, gid: 4343 })
    await expect(appendRun(record('1'), p, owner)).rejects.toThrow(/owned by uid 4343/)
  })
})
